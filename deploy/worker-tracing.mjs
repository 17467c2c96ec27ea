// Registers an OpenTelemetry tracer provider in a worker process before it starts, so the SDK's
// run.execute spans join each run's trace. The SDK only uses @opentelemetry/api; the application
// chooses the exporter. docker-compose's worker loads this with
//   npx tsx --import ./deploy/worker-tracing.mjs examples/quickstart/worker.ts
// and exports to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; without it this does nothing.
import { createRequire } from "node:module";

const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
if (endpoint) {
  // Resolved as the control plane resolves them: they are its dependencies, not the examples'.
  const require = createRequire(new URL("../controlplane/package.json", import.meta.url));
  const { NodeTracerProvider } = require("@opentelemetry/sdk-trace-node");
  const { BatchSpanProcessor } = require("@opentelemetry/sdk-trace-base");
  const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http");
  const { resourceFromAttributes } = require("@opentelemetry/resources");
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME ?? "taskplane-worker" }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  provider.register();
  // Flush the last spans when the worker exits after draining.
  process.once("beforeExit", () => void provider.shutdown());
}
