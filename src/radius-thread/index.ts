export { RadiusThread } from './host.js';
export { COMMIT_BUCKETS, Ingest, nasClients, type HistogramCounts, type IngestReload, type IngestSnapshot } from './ingest.js';
