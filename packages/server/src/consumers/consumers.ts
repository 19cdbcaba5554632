import type { EventConsumer } from './event-consumer.ts';
import type { ModerationService } from '../moderation/moderation-service.ts';
import { ModerationConsumer } from '../moderation/moderation-consumer.ts';
import { noClassifier, type Classifier } from '../moderation/classifier.ts';
import { AnalyticsConsumer } from '../analytics/analytics-consumer.ts';
import { SearchIndexConsumer } from '../search/search-indexer.ts';

/** Parley's consumers of its own event stream (moderation, analytics, the search index), wherever they run (in the server, or `npm run consumers`). */
export function buildConsumers(moderation: ModerationService, classifier: Classifier = noClassifier): EventConsumer[] {
  return [new ModerationConsumer(moderation, classifier), new AnalyticsConsumer(), new SearchIndexConsumer()];
}
