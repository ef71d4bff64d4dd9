/**
 * Reserved vocabulary: pointer contexts with a meaning of their own. See docs/delta-format.md.
 */
export const Vocabulary = {
  /** localContext of a negation's pointer at the delta it negates. */
  negates: 'negates',
  /** targetContext of a negation's pointer: the negated delta's "property" listing its negations. */
  negatedBy: 'negated_by',
  /** localContext of a transaction pointer (declaration and members). */
  transaction: '_transaction',
  /** targetContext on the transaction entity for the declaration, and localContext of its size. */
  transactionSize: 'size',
  /** targetContext on the transaction entity for a member. */
  transactionDeltas: 'deltas',
  /** localContext the builder gives the pointer at the entity whose property a delta sets. */
  entity: 'entity',
} as const;
