/**
 * The Pereira2018 passage design (METHODS §1.1 and Appendix A): experiment, category, passage
 * number and sentence count of every passage, in the analysis row order (exp 243 first, categories
 * alphabetical, passages ascending), and the category halves that make the contiguous folds.
 */

/** Sentences per passage 0, 1, 2 for each exp-243 category (Appendix A). */
const EXP243: ReadonlyArray<readonly [string, string]> = [
  ['astronaut', '433'], ['beekeeping', '443'], ['blindness', '433'], ['bone_fracture', '443'],
  ['castle', '433'], ['computer_graphics', '433'], ['dreams', '433'], ['gambling', '433'],
  ['hurricane', '433'], ['ice_cream', '343'], ['infection', '433'], ['law_school', '433'],
  ['lawn_mower', '433'], ['opera', '434'], ['owl', '433'], ['painter', '433'],
  ['pharmacist', '433'], ['polar_bear', '433'], ['pyramid', '433'], ['rock_climbing', '344'],
  ['skiing', '433'], ['stress', '433'], ['taste', '333'], ['tuxedo', '433'],
];

const EXP384_CATEGORIES: readonly string[] = [
  'animal', 'appliance', 'bird', 'body_part', 'building_part', 'clothing', 'crime', 'disaster',
  'drink_non_alcoholic', 'dwelling', 'fish', 'fruit', 'furniture', 'human', 'insect', 'kitchen_utensil',
  'landscape', 'music', 'place', 'profession', 'tool', 'vegetable', 'vehicles_transport', 'weapon',
];

/** The exp-243 'fh' half, recovered from the authors' saved first fold (METHODS §1.1). */
export const PEREIRA_243_FIRST_HALF: readonly string[] = [
  'astronaut', 'beekeeping', 'blindness', 'computer_graphics', 'hurricane', 'ice_cream',
  'law_school', 'lawn_mower', 'opera', 'pharmacist', 'pyramid', 'stress',
];

/**
 * The exp-384 'fh' half. The authors' grouping is not published (METHODS §1.1: [UNKNOWN]); brainmap
 * uses the alphabetically first 12 categories, as METHODS suggests. Fold sizes (8 × 48) are exact
 * either way; fold membership for exp 384 cannot match the paper's.
 */
export const PEREIRA_384_FIRST_HALF: readonly string[] = EXP384_CATEGORIES.slice(0, 12);

export interface PereiraPassage {
  experiment: '243' | '384';
  category: string;
  /** Rank of the passage inside its category (0-based). */
  passageNumber: number;
  nSentences: number;
  half: 'fh' | 'sh';
}

/** All 168 passages in analysis order (72 of exp 243, then 96 of exp 384). */
export function pereiraPassages(firstHalf384: readonly string[] = PEREIRA_384_FIRST_HALF): PereiraPassage[] {
  const out: PereiraPassage[] = [];
  for (const [category, counts] of EXP243) {
    for (let p = 0; p < counts.length; p++) {
      out.push({ experiment: '243', category, passageNumber: p, nSentences: Number(counts[p]), half: PEREIRA_243_FIRST_HALF.includes(category) ? 'fh' : 'sh' });
    }
  }
  for (const category of EXP384_CATEGORIES) {
    for (let p = 0; p < 4; p++) {
      out.push({ experiment: '384', category, passageNumber: p, nSentences: 4, half: firstHalf384.includes(category) ? 'fh' : 'sh' });
    }
  }
  return out;
}

/** The authors' per-row label "{exp}-{category}-{passageNumber}-{half}" (627 rows). */
export function pereiraRowLabels(passages: readonly PereiraPassage[] = pereiraPassages()): string[] {
  const labels: string[] = [];
  for (const p of passages) for (let s = 0; s < p.nSentences; s++) labels.push(`${p.experiment}-${p.category}-${p.passageNumber}-${p.half}`);
  return labels;
}

/** Outer-fold label of a passage: "{passageNumber}-{half}"; sorted order = the authors' loop order (§2.1). */
export function pereiraFoldLabel(p: PereiraPassage): string {
  return `${p.passageNumber}-${p.half}`;
}
