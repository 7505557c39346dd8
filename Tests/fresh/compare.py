"""Compares two screenshots pixel for pixel (the fresh-machine check,
Tests/fresh/run). Prints what differs and exits 1 when they are not the same
picture; exit 2 when one cannot be read.

Usage: compare.py EXPECTED.png ACTUAL.png WHAT"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "harness"))
from image import Image  # noqa: E402


def main(expected_path, actual_path, what):
    try:
        expected = Image.read(expected_path)
        actual = Image.read(actual_path)
    except (OSError, ValueError, KeyError) as error:
        print(f"{what}: cannot read the screenshots: {error}")
        return 2
    if expected == actual:
        print(f"{what}: {actual.width}x{actual.height}, the same pixels as the host's")
        return 0
    if expected.size != actual.size:
        print(f"{what}: {actual_path} is {actual.width}x{actual.height}, "
              f"the host's {expected_path} is {expected.width}x{expected.height}")
        return 1
    differing = [(x, y) for y in range(expected.height) for x in range(expected.width)
                 if expected[x, y] != actual[x, y]]
    x, y = differing[0]
    print(f"{what}: {len(differing)} pixels differ from the host's {expected_path}; "
          f"the first at ({x}, {y}): 0x{actual[x, y]:06x}, the host's 0x{expected[x, y]:06x}")
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
