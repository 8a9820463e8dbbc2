import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_SIZES, chunked, expected, inputBytes, inputText, loadVectors, run } from './helpers/vectors.js';

describe('shared parser vectors', () => {
  for (const vector of loadVectors()) {
    it(vector.name, () => {
      const want = expected(vector);
      const bytes = inputBytes(vector);
      for (const size of CHUNK_SIZES) {
        assert.deepEqual(run(chunked(bytes, size), vector.options), want, `bytes in chunks of ${size}`);
      }
      assert.deepEqual(run([inputText(vector)], vector.options), want, 'as one string');
    });
  }
});
