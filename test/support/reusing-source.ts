/**
 * A source that reads every chunk into the same memory, as local mode's archive reader does: a
 * chunk is overwritten (with 0xEE, then the next chunk's bytes) as soon as the next is asked for.
 * Its bytes count up from 0 modulo `modulus`, so what a consumer kept says where it came from.
 */
export async function* reusingSource(sizes: number[], modulus = 256): AsyncGenerator<Buffer> {
  const memory = Buffer.alloc(Math.max(0, ...sizes));
  let next = 0;
  for (const size of sizes) {
    memory.fill(0xee);
    for (let i = 0; i < size; i++) memory[i] = next++ % modulus;
    yield memory.subarray(0, size);
  }
  memory.fill(0xee);
}
