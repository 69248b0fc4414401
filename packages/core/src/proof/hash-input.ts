/**
 * A buffer reused as the input of many hashes (a leaf's 0x00 ‖ event, a commitment's salt ‖
 * value), with its views from the start kept by length: the inputs of one bundle come in a few
 * hundred lengths, so a hash makes no Buffer of its own, and ten thousand of them make no garbage.
 * Hashing is synchronous: one input is never filled for two hashes at once.
 */
export class HashInput {
  #buffer: Buffer;
  #views = new Map<number, Buffer>();

  constructor(size: number) {
    this.#buffer = Buffer.alloc(size);
  }

  /** The buffer, at least `size` bytes long: grown (and its views forgotten) when shorter. */
  ofSize(size: number): Buffer {
    if (this.#buffer.length < size) {
      this.#buffer = Buffer.alloc(2 * size);
      this.#views = new Map();
    }
    return this.#buffer;
  }

  /** Its first `length` bytes (after ofSize(length) or more). */
  view(length: number): Buffer {
    let view = this.#views.get(length);
    if (view === undefined) this.#views.set(length, (view = this.#buffer.subarray(0, length)));
    return view;
  }
}
