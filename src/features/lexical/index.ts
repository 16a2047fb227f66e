/** The lexical features WORD, SENSE and SYNT (register.ts) and their parts, as library calls. */
export { tagText, tagTexts, tagSamples, isWordToken, joinTokens, CONTENT_TAGS, type TaggedToken } from './nlp.js';
export { lexicalTexts, dereferencedTexts, textFileTexts } from './text-source.js';
export { readStaticVectors, readSenseInventory, parseSenseKey, type Sense, type SenseInventory, type SensePos } from './vectors.js';
export { lemmaVectorSum, wordVocabulary, type LookupReport } from './word.js';
export { contextualWordVectors, wordInputs, wordVectorsOf, clearWordVectorMemo, type WordInput, type LayerRange, type ContextualOptions } from './contextual.js';
export { senseFeatures, bestSense, cosine, sensePosOf, type SenseChoice } from './sense.js';
export { syntVariants, syntVariantsTsv, syntVocabulary, inflectionClass, matchCase } from './synt.js';
export { registerLexicalFeatures, buildWord, buildSense, buildSynt, setLexicalWarningSink } from './register.js';
