// The frame around every page: navigation, who the token says you are, and the page for the path.
import { useEffect, useSyncExternalStore } from "react";
import { claimsOf, onTokenChange, readToken, saveToken } from "./api/token.js";
import { TokenForm } from "./components/token-form.js";
import { AuditPage } from "./pages/audit-page.js";
import { OverviewPage } from "./pages/overview-page.js";
import { TaskPage } from "./pages/task-page.js";
import { TasksPage } from "./pages/tasks-page.js";
import { WorkersPage } from "./pages/workers-page.js";
import { Link, useRoute, type Route } from "./router.js";

const NAV = [
  { to: "/", label: "Overview", pages: ["overview"] },
  { to: "/tasks", label: "Tasks", pages: ["tasks", "task"] },
  { to: "/workers", label: "Queues & workers", pages: ["workers"] },
  { to: "/audit", label: "Audit log", pages: ["audit"] },
];

export function App() {
  const token = useSyncExternalStore(onTokenChange, readToken);
  const route = useRoute();
  useEffect(() => {
    document.title = `${titleOf(route)} · Taskplane`;
  }, [route]);

  if (!token) return <TokenForm />;
  const claims = claimsOf(token);
  return (
    <>
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Taskplane
        </Link>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={n.pages.includes(route.page) ? "page" : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="who">
          {claims?.sub && (
            <span title={`namespaces: ${(claims.namespaces ?? []).join(", ") || "—"}`}>
              {claims.sub} ({(claims.roles ?? []).join(", ")})
            </span>
          )}
          <button type="button" onClick={() => saveToken("")}>
            Sign out
          </button>
        </div>
      </header>
      <Page route={route} />
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "overview":
      return <OverviewPage />;
    case "tasks":
      return <TasksPage query={route.query} />;
    case "task":
      return <TaskPage key={route.taskId} taskId={route.taskId} runId={route.runId} />;
    case "workers":
      return <WorkersPage />;
    case "audit":
      return <AuditPage query={route.query} />;
    case "not-found":
      return (
        <main className="page" id="content">
          <h1>Not found</h1>
          <p>
            There is no page at <code>{route.path}</code>. <Link to="/">Go to the overview</Link>.
          </p>
        </main>
      );
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case "overview":
      return "Overview";
    case "tasks":
      return "Tasks";
    case "task":
      return `Task ${route.taskId.slice(0, 8)}`;
    case "workers":
      return "Queues & workers";
    case "audit":
      return "Audit log";
    case "not-found":
      return "Not found";
  }
}
