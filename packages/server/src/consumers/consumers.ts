import type { EventConsumer } from './event-consumer.ts';
import type { ModerationService } from '../moderation/moderation-service.ts';
import { ModerationConsumer } from '../moderation/moderation-consumer.ts';
import { noClassifier, type Classifier } from '../moderation/classifier.ts';
import { AnalyticsConsumer } from '../analytics/analytics-consumer.ts';
import { IntegrationsConsumer } from '../integrations/integrations-consumer.ts';
import { SearchIndexConsumer } from '../search/search-indexer.ts';

/**
 * Parley's consumers of its own event stream (moderation, analytics,
 * integrations, the search index), wherever they run (in the
 * server, or `npm run consumers`). `deliveriesQueued` wakes this process's
 * event delivery worker, if it has one (the servers poll otherwise).
 */
export function buildConsumers(moderation: ModerationService, classifier: Classifier = noClassifier, deliveriesQueued?: () => void): EventConsumer[] {
  return [new ModerationConsumer(moderation, classifier), new AnalyticsConsumer(), new IntegrationsConsumer(deliveriesQueued), new SearchIndexConsumer()];
}
