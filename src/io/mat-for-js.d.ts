/** Types of the parts of mat-for-js 1.1.0 (MATLAB Level-5 MAT-file reader) that brainmap uses. */
declare module 'mat-for-js' {
  /**
   * Parses a Level-5 MAT file. Vectors come back as flat arrays, matrices as arrays of rows,
   * char arrays as strings, scalar structs as objects, int64 as BigInt. Throws a FeatureError
   * (`feature === 'HDF5'`) for v7.3 files.
   */
  export function read(data: ArrayBuffer): { header: string; data: Record<string, unknown> };
}
