// A worker for the quickstart's task types. Run: npx tsx examples/quickstart/worker.ts
import { Worker } from "@taskplane/sdk";
import { handlers } from "./handlers.js";

// One address, or several replicas' separated by commas: the worker fails over between them.
const address = (process.env.TASKPLANE_ADDRESS ?? "http://127.0.0.1:7070").split(",");
const worker = Worker.create({ address, handlers, concurrency: 20 });
console.log(`worker ${worker.workerId} polling ${address} for ${Object.keys(handlers).join(", ")}`);
await worker.run();
console.log("worker stopped");
