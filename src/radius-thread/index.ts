export { RadiusThread } from './host.js';
export { COMMIT_BUCKETS, Ingest, loadDictionaries, nasClients, type HistogramCounts, type IngestReload, type IngestSnapshot } from './ingest.js';
