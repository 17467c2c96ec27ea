// The audit log: every change and every security refusal, newest first, filtered by who, what,
// where and when (filters kept in the URL).
import type { FormEvent } from "react";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { audit } from "../api/clients.js";
import { usePoll } from "../api/use-poll.js";
import { ApiError } from "../components/api-error.js";
import { FilterActions } from "../components/filter-actions.js";
import { Pager, usePager } from "../components/pager.js";
import { StateBadge } from "../components/state-badge.js";
import { TimeStamp } from "../components/time-stamp.js";
import { navigate } from "../router.js";

const FIELDS = ["namespace", "principal", "action", "target", "since", "until", "refused"] as const;

export function AuditPage({ query }: { query: URLSearchParams }) {
  const f = Object.fromEntries(FIELDS.map((k) => [k, query.get(k) ?? ""])) as Record<(typeof FIELDS)[number], string>;
  const key = JSON.stringify(f);
  const pager = usePager(key);
  const list = usePoll(
    () =>
      audit.listAuditEvents({
        namespace: f.namespace,
        principal: f.principal,
        action: f.action,
        target: f.target,
        refusedOnly: f.refused === "1",
        startTime: f.since ? timestampFromDate(new Date(f.since)) : undefined,
        endTime: f.until ? timestampFromDate(new Date(f.until)) : undefined,
        pageSize: 50,
        pageToken: pager.token,
      }),
    `${key}/${pager.token}`,
  );

  const onFilter = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const k of FIELDS) {
      const v = String(form.get(k) ?? "").trim();
      if (v) next.set(k, v);
    }
    navigate(`/audit${next.size ? `?${next}` : ""}`, true);
  };
  const filtered = FIELDS.some((k) => f[k]);

  return (
    <main className="page" id="content">
      <header className="page-header">
        <h1>Audit log</h1>
        <p className="muted">Every change and every refused call, newest first. Reading it needs the admin role.</p>
      </header>
      <form className="filters" onSubmit={onFilter} key={key} aria-label="Filter audit events">
        <label>
          Namespace
          <input name="namespace" defaultValue={f.namespace} />
        </label>
        <label>
          Who (token subject)
          <input name="principal" defaultValue={f.principal} />
        </label>
        <label>
          Action
          <input name="action" defaultValue={f.action} placeholder="CancelTask" />
        </label>
        <label>
          Target id
          <input name="target" defaultValue={f.target} />
        </label>
        <label>
          Since (your time)
          <input type="datetime-local" name="since" defaultValue={f.since} />
        </label>
        <label>
          Until (your time)
          <input type="datetime-local" name="until" defaultValue={f.until} />
        </label>
        <label className="inline">
          <input type="checkbox" name="refused" value="1" defaultChecked={f.refused === "1"} /> Only refusals
        </label>
        <FilterActions filtered={filtered} clearTo="/audit" />
      </form>
      <ApiError error={list.error} />
      {!list.data && !list.error && <p className="muted">Loading…</p>}
      {list.data && list.data.events.length === 0 && (
        <p className="empty">{filtered ? "No event matches these filters; clear them to see everything." : "No audit events yet: they are written for every change and every refused call."}</p>
      )}
      {list.data && list.data.events.length > 0 && (
        <table data-testid="audit">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Result</th>
              <th scope="col">Namespace</th>
              <th scope="col">Target</th>
              <th scope="col">Detail</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {list.data.events.map((e) => (
              <tr key={e.sequence.toString()}>
                <td>
                  <TimeStamp value={e.time} />
                </td>
                <td>{e.principal}</td>
                <td>{e.action}</td>
                <td>
                  <StateBadge label={e.result === "ok" ? "OK" : e.result} tone={e.result === "ok" ? "ok" : "bad"} />
                </td>
                <td>{e.namespace}</td>
                <td className="wrap">
                  <code>{e.target.replace(/,/g, ", ")}</code>
                </td>
                <td className="wrap">{e.detail}</td>
                <td>
                  <code>{e.address}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={pager.page} nextToken={list.data?.nextPageToken} onNext={pager.next} onPrevious={pager.previous} />
    </main>
  );
}
