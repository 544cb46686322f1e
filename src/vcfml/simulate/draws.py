"""Random matrices drawn row by row, served a block of columns at a time.

The simulators draw some (samples x sites) matrices in one call, e.g.
``rng.random((n_samples, n_sites))``: numpy fills them row by row (sample by
sample). A VCF is written site by site, so streaming the file a block of sites
at a time needs, for every sample, the generator's state where that sample's
row reaches the block. This module finds those states without keeping the
matrix, so that streamed cohorts are identical, value for value, to the ones
drawn whole (and the course's datasets stay identical byte for byte):

* draws that use exactly one 64-bit output per value (``random``) jump there
  with ``PCG64.advance``;
* draws that use a variable number of outputs per value (``poisson``) are
  drawn once, row by row, recording the 128-bit state at each block boundary
  (8 bytes x 2 per sample and block), and replayed block by block later.

Either way the generator passed in ends where drawing the whole matrix would
have left it, so the draws that follow are unchanged too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Draw = Callable[[np.random.Generator, int], np.ndarray]


class RowMajorDraws:
    """The values ``draw(rng, (n_rows, n_columns))`` would give, by column blocks.

    Args:
        rng: the generator, left where drawing the whole matrix would leave it.
        n_rows, n_columns: the matrix's shape.
        draw: ``draw(generator, size)`` draws ``size`` values in sequence.
        fixed_width: each value uses exactly one 64-bit output (``random``):
            block starts are computed, not recorded.
        block: the column blocks that :meth:`block` will be asked for.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        n_rows: int,
        n_columns: int,
        draw: Draw,
        *,
        fixed_width: bool,
        block: int,
    ) -> None:
        if not isinstance(rng.bit_generator, np.random.PCG64):
            raise TypeError("RowMajorDraws needs a PCG64 generator (numpy's default)")
        self.n_rows, self.n_columns, self.draw, self.block_size = n_rows, n_columns, draw, block
        self.start_state = rng.bit_generator.state
        self.fixed_width = fixed_width
        if fixed_width:
            _advance(rng.bit_generator, n_rows * n_columns)
            return
        # One pass over the matrix, row by row, noting the state at each block start.
        n_blocks = -(-n_columns // block)
        self.checkpoints = np.empty((n_rows, n_blocks, 2), dtype=np.uint64)
        mask = (1 << 64) - 1
        for row in range(n_rows):
            for index, start in enumerate(range(0, n_columns, block)):
                state = rng.bit_generator.state["state"]["state"]
                self.checkpoints[row, index] = (state >> 64, state & mask)
                draw(rng, min(block, n_columns - start))
        self.end_state = rng.bit_generator.state

    def block(self, start: int) -> np.ndarray:
        """Columns ``start : start + block`` of the matrix (``start`` a multiple of block)."""
        width = min(self.block_size, self.n_columns - start)
        bit_generator = np.random.PCG64()
        generator = np.random.Generator(bit_generator)
        state = dict(self.start_state)
        out = None
        for row in range(self.n_rows):
            if self.fixed_width:
                bit_generator.state = state
                _advance(bit_generator, row * self.n_columns + start)
            else:
                high, low = self.checkpoints[row, start // self.block_size]
                state["state"] = {**state["state"], "state": (int(high) << 64) | int(low)}
                bit_generator.state = state
            values = self.draw(generator, width)
            if out is None:
                out = np.empty((self.n_rows, width), dtype=values.dtype)
            out[row] = values
        if out is None:
            out = np.empty((0, width))
        return out


def _advance(bit_generator: np.random.PCG64, steps: int) -> None:
    """``advance``, keeping the buffered 32-bit half that ``advance`` discards
    (drawing 64-bit values never touches it, so the draws that follow must see it)."""
    before = bit_generator.state
    bit_generator.advance(steps)
    after = bit_generator.state
    after["has_uint32"], after["uinteger"] = before["has_uint32"], before["uinteger"]
    bit_generator.state = after
