/** brainmap as a library: everything the CLI does is available here. */
export * from './linalg/index.js';
export type { Dataset, SampleTable, UnitTable, FoldDesign } from './data/dataset.js';
export { InputError } from './data/errors.js';
export { simulateDataset, parseSimSpec, componentShares, SIM_DEFAULTS, type SimOptions, type SimEffects } from './data/simulate.js';
export { pereiraPassages, pereiraRowLabels } from './data/pereira-design.js';
export { loadDataset, registerDatasetSource } from './io/dataset.js';
export { readNpy, readMatrixNpy, writeNpy, readNpz, writeNpz } from './io/npy.js';
export { readWordVectors } from './io/glove.js';
export { MT19937 } from './random/mt19937.js';
export { parseFeatureSpec } from './features/spec.js';
export { registerFeature, buildFeatureSpec, featureDefinitions, type FeatureDefinition } from './features/registry.js';
export { registerBuiltinFeatures } from './features/builtin.js';
export { oasm } from './features/oasm.js';
export { gaussianFilter1d, gaussianKernel1d } from './features/smoothing.js';
export * from './features/confounds.js';
export { poolWordVectors, bagOfWords, alignSentences, embeddingTokens } from './features/embeddings.js';
export * from './features/lexical/index.js';
export { recordFeatureArtifact, takeFeatureArtifacts } from './features/artifacts.js';
export { expandGrid } from './features/grid.js';
export { foldLabels, planFolds, labelFolds, blockFolds, type OuterFold, type InnerFold, type SplitScheme } from './regression/splits.js';
export { fitStandardizer, applyStandardizer, isConstantFeature } from './regression/standardize.js';
export { fitFold, DEFAULT_ALPHAS, type Estimator } from './regression/ridge.js';
export { foldPearson, foldSquaredErrors, pooledR2 } from './scoring/metrics.js';
export { aggregateScores } from './scoring/aggregate.js';
export { scoreFeatures, type ScoreResult, type ExperimentScores } from './pipeline/score.js';
export { scoreSpec, type SpecScore } from './pipeline/score-spec.js';
export { selectOverGrid } from './pipeline/select.js';
export { specScoreToJson, writeScore } from './pipeline/results.js';
export { runDemo } from './pipeline/demo.js';
export {
  registerLmFeature, lmTermSettings, Gpt2Model, SafetensorsGpt2Weights, UntrainedGpt2Weights, SafetensorsFile, SafetensorsModel,
  ByteLevelBpe, loadTokenizer, r50kTokenizer, readGpt2Config, parseGpt2Config, gpt2Config, untrainedConfig, GPT2_SHAPES,
  extractLmFeatures, tokenizeSamples, planPasses, getLmFeatures, getLmLayer, openLmModel, clearLmMemo, setLmMemoLimit, lmMemoStats, lmCacheRoot, writeLmFeatures, readLmFeatures, fillNormal,
  LM_POOLINGS, DEFAULT_LM_RULES,
  type Gpt2Config, type Gpt2Weights, type Gpt2BlockWeights, type Tokenizer, type LmFeatures, type LmPooling, type LmContext, type LmRules, type LmModel, type LmManifest,
} from './features/lm/index.js';
export { readExperiment, parseExperiment, validateExperiment, type Experiment, type ExperimentFeature } from './pipeline/sweep/experiment.js';
export { planExperiment, datasetHash, jobKey, ALGORITHM_VERSION, type SweepJob, type SweepPlan, type PlanOptions } from './pipeline/sweep/plan.js';
export { ResultStore, storeError, type Claim, type LockInfo, type FailureRecord } from './pipeline/sweep/store.js';
export { runLocal, parallelism, type LocalRunOptions, type RunSummary, type RunProgress, type JobEvent } from './pipeline/sweep/local.js';
export { enqueuePlan, startQueueWorker, queueStatus, checkRedis, type EnqueueOptions, type EnqueueSummary, type QueueWorkerOptions, type QueueWorkerHandle, type QueueStatus, type WorkerEvent } from './pipeline/sweep/queue.js';
export { storeStatus, type StoreStatus } from './pipeline/sweep/status.js';
export type { LoadOptions } from './io/dataset.js';
export { inspectDataset, formatDatasetSummary, type DatasetSummary, type ExperimentSummary, type FoldSummary } from './io/inspect.js';
export { getDatasetNotes, type DatasetNotes, type DroppedUnits } from './io/notes.js';
export { pereiraFromAssembly, buildPereiraDataset, readSentenceLines, type PereiraRowsInput, type PereiraUnitsInput, type PereiraBuildOptions } from './io/pereira.js';
export { blankFromAssembly, readStoryText, BLANK_STORY_TRS } from './io/blank.js';
export { readPereiraMatFolder, readMatFile, type MatValue } from './io/mat.js';
export { splitSpecOptions, type ReaderOptions } from './io/spec-options.js';
export {
  writeReport, scanResults, buildReportModel, renderReportHtml, writeFigureFiles, figureToSvg, svgToPng, FIGURE_SIZES, FIGURE_TYPES, PNG_SCALE, SCATTER_MAX_UNITS,
  type ReportOptions, type ReportOutput, type ReportModel, type Figure, type FigureType, type FigureFile, type ResultsFolder, type MissingNote,
  type ScoreAnalysis, type PartitionAnalysis, type AuditAnalysis, type DemoSummary, type Metric,
} from './report/index.js';
export { fitBandedFold, type BandedOptions, type BandedFoldFit } from './regression/banded.js';
export { bandWeightSamples, dirichletSample, gammaVariate } from './random/dirichlet.js';
export { studentTCdf, studentTSf, normalCdf, normalSf, regularizedBeta, pairedTTest, benjaminiHochberg, wilcoxonSignedRank, compareSubjects } from './scoring/stats.js';
export { omega, partitionUnit } from './scoring/partition.js';
export { unitSignificance, averageByLabel, combineSeeds, type Blocking, type SignificanceResult } from './scoring/significance.js';
export { partitionFeatures, partitionJson, partitionCsv, type PartitionResult, type PartitionJson } from './pipeline/partition.js';
export { brainScoreLinearShuffle, brainScoreSplits, shuffleSplits, publishedCeiling, BRAINSCORE_CEILINGS, type BrainScoreResult, type PublishedCeiling } from './pipeline/brainscore.js';
export { auditFeatures, defaultSimpleFeatures, type AuditJson, type AuditRow, type AuditPartition } from './pipeline/audit.js';
export { computeCeilings, ceilingMethodFor, normaliseScores, ceilingsToJson, ceilingsCsv, normalisedToJson, type CeilingMethod, type CeilingOptions, type CeilingResult, type ExperimentCeilings, type SubjectCeiling, type NormalisedScores, type CeilingJson, type NormalisedJson } from './pipeline/ceiling.js';
export { spearmanBrown, halfSplits, splitHalfReliability, fitSaturating, extrapolateUnit, saturating, type HalfSplit, type SplitHalfUnit, type SaturatingFit } from './scoring/ceiling.js';
