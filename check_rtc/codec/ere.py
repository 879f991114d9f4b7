# SPDX-License-Identifier: GPL-3.0-or-later
"""POSIX extended regular expressions (IEEE 1003.1 §9.4) evaluated in bounded time (codec layer).

ENUM and DDDS (RFC 3402 §3.2) put a POSIX ERE in every NAPTR record, and
whoever controls a zone writes it: the check must evaluate strangers'
patterns. Python's `re` backtracks, so `^(a+)+$` against a near-miss takes
time exponential in the subject; a thread cannot be stopped and a
subprocess per record costs more than the whole check. Hence our own
engine (the one-line reason design.md §5 asks for: no linear-time regex
engine in the stdlib or Debian's dependency set):

- the pattern is compiled to a program for a Pike VM (Thompson's NFA
  simulation with sub-match registers), which advances every thread in
  lock-step, one subject character at a time, and never backtracks: the
  work is at most (subject length + 1) x program size steps, whatever the
  pattern's nesting;
- the pattern, the compiled program (after {m,n} expansion), the number of
  groups and the subject are capped (MAX_* below), so both time and memory
  have a fixed ceiling: a few milliseconds at the caps;
- what is not POSIX ERE is refused rather than guessed (back-references
  inside the pattern, Perl escapes such as \\d, an unbalanced bracket).

Matching semantics: the overall match is POSIX's leftmost-longest; the
sub-matches are those of the highest-priority path to it (greedy
quantifiers, first alternative first), as PCRE-based ENUM resolvers
produce. The two agree for the anchored patterns ENUM uses.
Malformed patterns raise DecodeError and nothing else.
"""

from __future__ import annotations

from check_rtc.errors import DecodeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

    Node = tuple[object, ...]
    Caps = tuple[Union[int, None], ...]

MAX_PATTERN_CHARS = 255  # a NAPTR regexp is one <character-string> (RFC 1035 §3.3)
MAX_PROGRAM = 1024  # instructions after {m,n} expansion
MAX_GROUPS = 20
MAX_REPEAT = 255  # RE_DUP_MAX, the POSIX minimum
MAX_SUBJECT_CHARS = 64  # an E.164 AUS is at most 16 ("+" and 15 digits)

# Instructions: (CHAR, predicate args), (ANY,), (SPLIT, preferred, other),
# (JMP, target), (SAVE, slot), (BOL,), (EOL,), (MATCH,)
CHAR, SET, ANY, SPLIT, JMP, SAVE, BOL, EOL, MATCH = range(9)

CLASSES = {
    "digit": lambda c: c.isascii() and c.isdigit(),
    "alpha": lambda c: c.isascii() and c.isalpha(),
    "alnum": lambda c: c.isascii() and c.isalnum(),
    "upper": lambda c: c.isascii() and c.isupper(),
    "lower": lambda c: c.isascii() and c.islower(),
    "space": lambda c: c in " \t\n\r\f\v",
    "xdigit": lambda c: c in "0123456789abcdefABCDEF",
    "punct": lambda c: c.isascii() and c.isprintable() and not c.isalnum() and c != " ",
}


class Program:
    """A compiled pattern: instructions, number of groups, case folding."""

    __slots__ = ("code", "groups", "icase")

    def __init__(self, code: list[tuple[object, ...]], groups: int, icase: bool) -> None:
        self.code = code
        self.groups = groups
        self.icase = icase

    def search(self, subject: str) -> list[tuple[int, int] | None] | None:
        """Spans of group 0..groups of the leftmost-longest match, or None."""
        if len(subject) > MAX_SUBJECT_CHARS:
            raise DecodeError(f"ERE subject longer than {MAX_SUBJECT_CHARS} characters")
        caps = _run(self, subject)
        if caps is None:
            return None
        return [_span(caps, n) for n in range(self.groups + 1)]


def _span(caps: Caps, group: int) -> tuple[int, int] | None:
    start, end = caps[2 * group], caps[2 * group + 1]
    return None if start is None or end is None else (start, end)


def compile_ere(pattern: str, icase: bool = False) -> Program:
    """Compile a POSIX ERE; DecodeError for what is malformed or over a cap."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise DecodeError(f"ERE longer than {MAX_PATTERN_CHARS} characters")
    parser = _Parser(pattern)
    tree = parser.parse()
    code: list[tuple[object, ...]] = [(SAVE, 0)]
    _emit(tree, code)
    code += [(SAVE, 1), (MATCH,)]
    return Program(code, parser.groups, icase)


class _Parser:
    """Recursive descent over the ERE grammar; produces a small tree of tuples."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0
        self.groups = 0
        self.depth = 0

    def fail(self, why: str) -> DecodeError:
        return DecodeError(f"ERE {why} at offset {self.pos}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Node:
        tree = self.alternation()
        if self.pos < len(self.text):
            raise self.fail("unbalanced ')'")
        return tree

    def alternation(self) -> Node:
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def concatenation(self) -> Node:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.repetition())
        return ("cat", items)

    def repetition(self) -> Node:
        atom = self.atom()
        while self.peek() in ("*", "+", "?", "{"):
            if atom[0] in ("bol", "eol"):
                raise self.fail("quantifier after an anchor")
            low, high = self.quantifier()
            atom = ("rep", atom, low, high)
        return atom

    def quantifier(self) -> tuple[int, int | None]:
        char = self.text[self.pos]
        self.pos += 1
        if char != "{":
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        end = self.text.find("}", self.pos)
        if end < 0:
            raise self.fail("unterminated '{'")
        low_text, comma, high_text = self.text[self.pos:end].partition(",")
        self.pos = end + 1
        if not low_text.isdigit() or (high_text and not high_text.isdigit()):
            raise self.fail("malformed interval")
        low = int(low_text)
        high = (int(high_text) if high_text else None) if comma else low
        if low > MAX_REPEAT or (high is not None and (high > MAX_REPEAT or high < low)):
            raise self.fail(f"interval outside 0..{MAX_REPEAT}")
        return low, high

    def atom(self) -> Node:
        char = self.peek()
        self.pos += 1
        if char == "(":
            return self.group()
        if char == "[":
            return self.bracket()
        if char == "\\":
            return self.escape()
        if char in ("*", "+", "?", "{"):
            raise self.fail(f"quantifier '{char}' with nothing to repeat")
        return {".": ("any",), "^": ("bol",), "$": ("eol",)}.get(char, ("char", char))

    def group(self) -> Node:
        self.groups += 1
        if self.groups > MAX_GROUPS:
            raise self.fail(f"more than {MAX_GROUPS} groups")
        number = self.groups
        inner = self.alternation()
        if self.peek() != ")":
            raise self.fail("unbalanced '('")
        self.pos += 1
        return ("group", number, inner)

    def escape(self) -> Node:
        char = self.peek()
        # POSIX: a backslash makes a special character literal; anything else
        # (\d, \w, or a back-reference, which ERE does not have) is undefined.
        if not char or char.isalnum():
            raise self.fail(f"unsupported escape '\\{char}'" if char else "trailing backslash")
        self.pos += 1
        return ("char", char)

    def bracket(self) -> Node:
        negated = self.peek() == "^"
        self.pos += negated
        members: list[object] = []
        first = True
        while True:
            char = self.peek()
            if not char:
                raise self.fail("unterminated '['")
            if char == "]" and not first:
                self.pos += 1
                return ("set", tuple(members), negated)
            first = False
            members.append(self.bracket_member())

    def bracket_member(self) -> object:
        if self.text.startswith("[:", self.pos):
            end = self.text.find(":]", self.pos + 2)
            name = self.text[self.pos + 2:end] if end > 0 else ""
            if name not in CLASSES:
                raise self.fail(f"unknown character class '{name}'")
            self.pos = end + 2
            return name
        low = self.text[self.pos]
        self.pos += 1
        if self.peek() == "-" and self.text[self.pos + 1:self.pos + 2] not in ("]", ""):
            high = self.text[self.pos + 1]
            if high < low:
                raise self.fail(f"range '{low}-{high}' out of order")
            self.pos += 2
            return (low, high)
        return (low, low)


def _emit(node: Node, code: list[tuple[object, ...]]) -> None:
    """Append the instructions of `node` (Thompson's construction)."""
    if len(code) > MAX_PROGRAM:
        raise DecodeError(f"ERE program longer than {MAX_PROGRAM} instructions")
    kind = node[0]
    if kind == "cat":
        for item in node[1]:  # type: ignore[attr-defined]
            _emit(item, code)
    elif kind == "alt":
        _emit_alternation(node[1], code)  # type: ignore[arg-type]
    elif kind == "group":
        code.append((SAVE, 2 * node[1]))  # type: ignore[operator]
        _emit(node[2], code)  # type: ignore[arg-type]
        code.append((SAVE, 2 * node[1] + 1))  # type: ignore[operator]
    elif kind == "rep":
        _emit_repetition(node, code)
    else:
        code.append({"char": (CHAR,) + node[1:], "set": (SET,) + node[1:], "any": (ANY,), "bol": (BOL,),
                     "eol": (EOL,)}[kind])  # type: ignore[index]


def _emit_alternation(branches: list[Node], code: list[tuple[object, ...]]) -> None:
    jumps = []
    for branch in branches[:-1]:
        split = len(code)
        code.append((SPLIT, split + 1, None))
        _emit(branch, code)
        jumps.append(len(code))
        code.append((JMP, None))
        code[split] = (SPLIT, split + 1, len(code))
    _emit(branches[-1], code)
    for jump in jumps:
        code[jump] = (JMP, len(code))


def _emit_repetition(node: Node, code: list[tuple[object, ...]]) -> None:
    """x{m,n}: m copies of x, then n-m optional ones (or a loop for no n)."""
    _, inner, low, high = node
    for _ in range(low):  # type: ignore[call-overload]
        _emit(inner, code)  # type: ignore[arg-type]
    if high is None:
        split = len(code)
        code.append((SPLIT, split + 1, None))
        _emit(inner, code)  # type: ignore[arg-type]
        code.append((JMP, split))
        code[split] = (SPLIT, split + 1, len(code))
        return
    splits = []
    for _ in range(high - low):  # type: ignore[operator]
        splits.append(len(code))
        code.append((SPLIT, len(code) + 1, None))
        _emit(inner, code)  # type: ignore[arg-type]
    for split in splits:
        code[split] = (SPLIT, split + 1, len(code))


def _accepts(instruction: tuple[object, ...], char: str, icase: bool) -> bool:
    if instruction[0] == ANY:
        return True
    candidates = (char, char.swapcase()) if icase else (char,)
    if instruction[0] == CHAR:
        return instruction[1] in candidates
    members, negated = instruction[1], instruction[2]
    hit = any(_in_member(member, c) for member in members for c in candidates)  # type: ignore[attr-defined]
    return hit != negated


def _in_member(member: object, char: str) -> bool:
    if isinstance(member, str):
        return bool(CLASSES[member](char))
    low, high = member  # type: ignore[misc]
    return bool(low <= char <= high)


def _closure(program: Program, pc: int, caps: Caps, at: int, subject: str,
             out: list[tuple[int, Caps]], seen: set[int]) -> None:
    """Follow the non-consuming instructions from `pc` at position `at`; collect
    the threads that wait for a character or match, in priority order."""
    stack: list[tuple[int, Caps]] = [(pc, caps)]
    code = program.code
    while stack:
        pc, caps = stack.pop()
        if pc in seen:
            continue
        seen.add(pc)
        op = code[pc]
        kind = op[0]
        if kind == JMP:
            stack.append((op[1], caps))  # type: ignore[arg-type]
        elif kind == SPLIT:
            stack.append((op[2], caps))  # type: ignore[arg-type]
            stack.append((op[1], caps))  # type: ignore[arg-type]  # preferred: popped first
        elif kind == SAVE:
            slot: int = op[1]  # type: ignore[assignment]
            stack.append((pc + 1, caps[:slot] + (at,) + caps[slot + 1:]))
        elif kind == BOL:
            if at == 0:
                stack.append((pc + 1, caps))
        elif kind == EOL:
            if at == len(subject):
                stack.append((pc + 1, caps))
        else:
            out.append((pc, caps))


def _run(program: Program, subject: str) -> Caps | None:
    """The Pike VM: all threads advance together; at most len(code) per position."""
    empty: Caps = (None,) * (2 * program.groups + 2)
    best: Caps | None = None
    threads: list[tuple[int, Caps]] = []
    _closure(program, 0, empty, 0, subject, threads, set())
    for at in range(len(subject) + 1):
        following: list[tuple[int, Caps]] = []
        seen: set[int] = set()
        for pc, caps in threads:
            op = program.code[pc]
            if op[0] == MATCH:
                best = _better(best, caps)
            elif at < len(subject) and _accepts(op, subject[at], program.icase):
                _closure(program, pc + 1, caps, at + 1, subject, following, seen)
        if best is None and at < len(subject):  # unanchored search: start again one further on
            _closure(program, 0, empty, at + 1, subject, following, seen)
        if best is not None:  # only threads that could still give a leftmost-longer match
            following = [t for t in following if t[1][0] is not None and t[1][0] <= best[0]]  # type: ignore[operator]
        threads = following
        if not threads:
            break
    return best


def _better(best: Caps | None, caps: Caps) -> Caps:
    """POSIX: the leftmost match wins, then the longest; a tie keeps the earlier (higher priority)."""
    if best is None or caps[0] < best[0] or (caps[0] == best[0] and caps[1] > best[1]):  # type: ignore[operator]
        return caps
    return best
