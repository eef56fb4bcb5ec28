"""Writes uts46-vectors.tsv: the toASCII cases of Unicode's IDNA conformance file
(IdnaTestV2.txt, Unicode 17.0.0) as the `idna` package (3.13, PyPI) carries them, generated,
in its tests/test_idna_uts46.py: one line per case, `<line in IdnaTestV2.txt> TAB <source>
TAB <expected ASCII, or ! for an error>`. Cases that are not valid UTF-8 (lone surrogates)
are left out: a Swift String cannot hold them.

    python3 extract_uts46_vectors.py  (needs pip and PyPI; writes next to itself)
"""

import ast
import pathlib
import subprocess
import sys
import tarfile
import tempfile

VERSION = "3.13"

here = pathlib.Path(__file__).resolve().parent
with tempfile.TemporaryDirectory() as folder:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         f"idna=={VERSION}", "--dest", folder],
        check=True,
    )
    with tarfile.open(pathlib.Path(folder) / f"idna-{VERSION}.tar.gz") as archive:
        member = archive.extractfile(f"idna-{VERSION}/tests/test_idna_uts46.py")
        source = member.read().decode("utf-8")

rows = []
for suite in (node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)):
    for test in (node for node in suite.body if isinstance(node, ast.FunctionDef)):
        line = int(test.name.rsplit("_", 1)[1])
        for statement in test.body:
            call = statement.value
            if call.func.attr == "assertEqual" and call.args[0].func.attr == "encode":
                rows.append((line, call.args[0].args[0].value, call.args[1].value.decode("ascii")))
            elif call.func.attr == "assertRaises" and call.args[1].attr == "encode":
                rows.append((line, call.args[2].value, "!"))

with open(here / "uts46-vectors.tsv", "w", encoding="utf-8") as output:
    output.write(f"# Unicode IdnaTestV2.txt toASCII cases, via idna {VERSION}'s tests; see extract_uts46_vectors.py\n")
    for line, text, expected in rows:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            continue
        output.write(f"{line}\t{text}\t{expected}\n")
print(f"{len(rows)} cases", file=sys.stderr)
