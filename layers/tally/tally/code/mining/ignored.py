"""Where git blame sends the changed lines of a commit it is told to ignore (`--ignore-revs-file`).

A port of git's blame.c (`guess_line_blames` and the fuzzy matcher it calls: added in git 2.23, the
same in 2.39 and in today's master). For each changed region of the diff from a parent to the
ignored commit, every new line is matched to a parent line:

1. Fuzzy match inside the region: each line is compared, by fingerprint, with the parent lines near
   its proportional position; the most certain pair is fixed first and the lines on either side
   are matched recursively on either side of it, so matches keep the lines' order.
2. A line with no fuzzy match is compared with every line of the parent's version and takes the
   most similar one, if they share at least 10 byte pairs.
3. A line matched neither way stays with the ignored commit (git marks it "unblamable" but, unless
   blame.markUnblamableLines is set, shows it as the ignored commit's like any other line).

A fingerprint is the multiset of a line's byte pairs, lower-cased, whitespace as one blank, and a
blank added at each end (pairs of two blanks left out); the similarity of two lines is the size of
the intersection of their multisets. Matching a parent line subtracts the matched line's
fingerprint from it for the rest of the diff, so two lines do not both claim the same text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

# git's own ctype: only tab, newline, carriage return and space count as whitespace; only A-Z fold
_FOLD = bytes(0 if byte in b"\t\n\r " else byte + 32 if 65 <= byte <= 90 else byte for byte in range(256))

SEARCH_DISTANCE = 10  # parent lines either side of a line's proportional position (git's max_search_distance_a)
FILE_THRESHOLD = 10  # the least similarity for a match anywhere in the parent (FINGERPRINT_FILE_THRESHOLD)
_NOT_CALCULATED = -1
_NOTHING_MATCHES = -2

Fingerprint = dict[tuple[int, int], int]


def fingerprint(line: bytes) -> Fingerprint:
    """The multiset of the line's byte pairs (its newline would only add a pair of blanks: left out)."""
    text = b"\0" + line.translate(_FOLD) + b"\0"
    counts = dict(Counter(pairwise(text)))
    counts.pop((0, 0), None)
    return counts


def similarity(a: Fingerprint, b: Fingerprint) -> int:
    """Byte pairs the two lines share, repeats included."""
    if a == b:  # common in a reformat (a reindented line): no need to go pair by pair
        return sum(a.values())
    return sum(min(a[pair], b[pair]) for pair in a.keys() & b.keys())


def _subtract(a: Fingerprint, b: Fingerprint) -> None:
    for pair, count in b.items():
        left = a.get(pair)
        if left is not None:
            if left <= count:
                del a[pair]
            else:
                a[pair] = left - count


class _Lines:
    """A version's lines and their fingerprints, computed on first use (most lines are never compared)."""

    def __init__(self, data: bytes) -> None:
        self.lines = data.split(b"\n")  # git's lines end at newlines only, the last one may lack it
        if self.lines[-1] == b"":
            self.lines.pop()
        self._prints: list[Fingerprint | None] = [None] * len(self.lines)
        self._index: tuple[list[Fingerprint], dict[tuple[int, int], list[int]]] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, index: int) -> Fingerprint:
        found = self._prints[index]
        if found is None:
            found = self._prints[index] = fingerprint(self.lines[index])
        return found

    def holders(self) -> tuple[list[Fingerprint], dict[tuple[int, int], list[int]]]:
        """Every line's fingerprint, and for each byte pair the lines that held it when first asked (a
        subtraction may have taken it since), in order."""
        if self._index is None:
            prints = [self[index] for index in range(len(self.lines))]
            holders: dict[tuple[int, int], list[int]] = {}
            for index, held in enumerate(prints):
                for pair in held:
                    holders.setdefault(pair, []).append(index)
            self._index = prints, holders
        return self._index


def guess_parent_lines(parent_data: bytes, data: bytes, hunks: list[tuple[int, int, int, int]],
                       wanted: Iterable[int]) -> dict[int, int]:
    """The parent line (0-based) git blame gives each `wanted` line of an ignored commit's version.

    `hunks` are the diff's changed regions in order, (start, lines) in the commit's version then in the
    parent's, 0-based; `wanted` lines lie inside them. Lines left out of the answer stay with the commit.
    """
    todo = sorted(set(wanted))
    if not todo:
        return {}
    parent, target = _Lines(parent_data), _Lines(data)
    guesses: dict[int, int] = {}
    cursor = 0
    for start_b, length_b, start_a, length_a in hunks:
        if cursor == len(todo):
            break  # later regions could only change the parent's fingerprints, which nothing reads any more
        if not length_b:
            continue
        # git matches every region in turn, as the subtractions of one change what later ones find
        fuzzy = _fuzzy_matches(parent, target, start_a, length_a, start_b, length_b)
        while cursor < len(todo) and todo[cursor] < start_b + length_b:
            line = todo[cursor]
            cursor += 1
            match = fuzzy[line - start_b] if fuzzy else -1
            if match < 0:
                match = _best_in_file(parent, target, line)
            if match >= 0:
                guesses[line] = match
    return guesses


def _best_in_file(parent: _Lines, target: _Lines, line: int) -> int:
    """git's scan_parent_range: the most similar parent line anywhere (ties: the nearest), or -1."""
    # git compares the line with every parent line. Only a line sharing one of its rarer byte pairs can
    # reach the bar: its commonest pairs, while they add up to less than the bar, cannot reach it alone.
    prints, holders = parent.holders()
    wanted = target[line]
    commonest_first = sorted(wanted.items(), key=lambda item: len(holders.get(item[0], ())), reverse=True)
    alone = 0
    candidates: set[int] = set()
    for pair, count in commonest_first:
        if alone + count < FILE_THRESHOLD:
            alone += count
        else:
            candidates.update(holders.get(pair, ()))
    best, best_index = FILE_THRESHOLD, -1
    for index in sorted(candidates):  # git's order: first to last
        score = similarity(wanted, prints[index])
        if score < best:
            continue
        if score == best and best_index != -1 and abs(best_index - line) < abs(index - line):
            continue
        best, best_index = score, index
    return best_index


def _fuzzy_matches(parent: _Lines, target: _Lines, start_a: int, length_a: int,
                   start_b: int, length_b: int) -> list[int] | None:
    """git's fuzzy_find_matching_lines: per line of the region's new side, a parent line or -1."""
    if length_a <= 0:
        return None
    reach_a = min(SEARCH_DISTANCE, length_a - 1)
    # how far apart two new lines can be and still compare with one parent line
    reach_b = ((2 * reach_a + 1) * length_b - 1) // length_a
    result = [-1] * length_b  # region lines are counted from the region's start, parent lines absolutely
    second_result = [-1] * length_b
    certainty = [_NOT_CALCULATED] * length_b
    scores: dict[tuple[int, int], int] = {}  # (new line, parent line) -> similarity weighted by nearness
    new_prints = [target[start_b + b] for b in range(length_b)]
    old_prints = {a: parent[a] for a in range(start_a, start_a + length_a)}  # the same dicts: subtraction shows

    def closest(b: int) -> int:
        # the parent line at the same proportional place in the region (middle of the candidates)
        return (b * 2 + 1) * length_a // (length_b * 2) + start_a

    def best_match(low_a: int, count_a: int, b: int) -> None:
        near = closest(b)
        line = new_prints[b]
        best = second = 0
        best_at = second_at = low_a
        for a in range(max(near - reach_a, low_a), min(near + reach_a + 1, low_a + count_a)):
            score = scores.get((b, a))
            if score is None:
                # nearness breaks ties between equally similar lines
                score = scores[(b, a)] = similarity(line, old_prints[a]) * (1000 - abs(a - near))
            if score > best:
                second, second_at = best, best_at
                best, best_at = score, a
            elif score > second:
                second, second_at = score, a
        if best == 0:
            certainty[b] = _NOTHING_MATCHES
            result[b] = -1
        else:
            # two good candidates make a match less certain than one
            certainty[b] = best * 2 - second
            result[b] = best_at
            second_result[b] = second_at

    # git recurses, first half before second half; a stack (second pushed first) keeps its order
    stack = [(start_a, length_a, 0, length_b)]
    while stack:
        low_a, count_a, low_b, count_b = stack.pop()
        most_b, most = -1, -1
        for b in range(low_b, low_b + count_b):
            if certainty[b] == _NOT_CALCULATED:  # kept from an earlier round unless invalidated
                best_match(low_a, count_a, b)
            if certainty[b] > most:
                most, most_b = certainty[b], b
        if most_b == -1:
            continue  # nothing in this stretch matches
        most_a = result[most_b]
        # the matched text is used up: other lines cannot match it again
        _subtract(old_prints[most_a], new_prints[most_b])
        low_inv = max(most_b - reach_b, low_b)
        high_inv = min(most_b + reach_b + 1, low_b + count_b)
        for b in range(low_inv, high_inv):
            if abs(most_a - closest(b)) <= reach_a:
                scores.pop((b, most_a), None)  # that parent line changed
        # matches that would cross the fixed pair are recomputed within their side of it
        for b in range(most_b - 1, low_inv - 1, -1):
            if certainty[b] >= 0 and (result[b] >= most_a or second_result[b] >= most_a):
                certainty[b] = _NOT_CALCULATED
        for b in range(most_b + 1, high_inv):
            if certainty[b] >= 0 and (result[b] <= most_a or second_result[b] <= most_a):
                certainty[b] = _NOT_CALCULATED
        if most_b + 1 < low_b + count_b:
            stack.append((most_a, count_a + low_a - most_a, most_b + 1, low_b + count_b - most_b - 1))
        if most_b > low_b:
            stack.append((low_a, most_a + 1 - low_a, low_b, most_b - low_b))
    return result
