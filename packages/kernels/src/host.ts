/** The host's capabilities (Node, or a page with none of them), for the other contrastive packages. */
export { IS_NODE, requireModule, hostCores, hostEnv, HostWorker } from '#platform/host.js';
