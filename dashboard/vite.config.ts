// Builds the dashboard into dist/, which is committed: the control plane serves it at /ui with no
// build step (controlplane/src/api/dashboard-assets.ts), and `npm run lint` rebuilds it to check it is current.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: false,
    // One chunk of about 500 kB (140 kB gzipped, as the control plane serves it): React, the
    // protobuf runtime and the contract's descriptors. Splitting it would buy an admin page little.
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev -w dashboard` calls the API of a `taskplane dev` on its default port.
    proxy: { "/taskplane.v1.": "http://127.0.0.1:7070" },
  },
});
