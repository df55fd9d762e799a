#!/usr/bin/env python3
"""Builds crates/render/assets/fonts/WenQuanYiMicroHei-subset.ttf, the CJK face the charts
embed, from Debian's fonts-wqy-microhei (Apache-2.0): the 3,755 level-1 characters of
GB 2312 (the common hanzi), CJK punctuation and full-width forms, and every CJK character
in the repository's data files. Needs fonttools (`pip install fonttools`).

Usage: scripts/cjk-font-subset.py [/usr/share/fonts/truetype/wqy/wqy-microhei.ttc]
"""
import glob, os, sys
from fontTools import subset
from fontTools.ttLib import TTCollection

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
out = os.path.join(root, "crates/render/assets/fonts/WenQuanYiMicroHei-subset.ttf")

chars = set()
for hi in range(0xB0, 0xD8):  # GB 2312 level 1: rows 16-55
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars.update(map(chr, range(0x3000, 0x3040)))  # CJK symbols and punctuation
chars.update(map(chr, range(0xFF00, 0xFFF0)))  # full-width forms
for pattern in ["crates/*/data/**/*.json*", "crates/*/data/**/*.tsv", "crates/*/data/**/*.txt"]:
    for path in glob.glob(os.path.join(root, pattern), recursive=True):
        with open(path, encoding="utf-8") as f:
            chars.update(c for c in f.read() if 0x3400 <= ord(c) <= 0x9FFF)

font = TTCollection(source).fonts[0]  # WenQuanYi Micro Hei (not Mono)
options = subset.Options()
options.layout_features = ["*"]
options.name_IDs = ["*"]
options.notdef_outline = True
subsetter = subset.Subsetter(options)
subsetter.populate(unicodes=[ord(c) for c in chars])
subsetter.subset(font)
font.save(out)
print(f"{len(chars)} characters, {os.path.getsize(out)} bytes: {out}")
