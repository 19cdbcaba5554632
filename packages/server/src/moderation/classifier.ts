/**
 * A pluggable judge of message text, for a model or an external service
 * later. The moderation consumer asks it after the operator's rules found
 * nothing; a verdict with `flag: true` hides the message like a rule hit
 * (reason "classifier"). It runs off the send path, in the consumer, so a
 * slow classifier delays moderation, never delivery. Implementations must
 * bound their own time (a thrown error retries the event).
 */
export interface Classifier {
  readonly name: string;
  classify(text: string): Promise<{ flag: boolean; label?: string }>;
}

/** The default: no classifier, nothing flagged. */
export const noClassifier: Classifier = {
  name: 'none',
  classify: async () => ({ flag: false }),
};
