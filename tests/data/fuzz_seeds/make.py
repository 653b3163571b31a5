"""Regenerate the fuzzer's seed files from real data: `python tests/data/fuzz_seeds/make.py`.

motifs.meme / motifs.jaspar: four JASPAR 2024 CORE matrices (REST, CTCF, GATA1, MEIS1) written by
the project's own writers; session.deemo-session: a session of the REST example with a shipped model,
an edit and a search, written by `save_session` (paths made relative, so it does not name this machine).
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def main() -> None:
    from deemo_gui.core.motifs.jaspar import JasparDB
    from deemo_gui.core.motifs.meme import write_jaspar, write_meme
    from deemo_gui.viewer import Viewer
    from deemo_gui.viewer.session import save_session

    db = JasparDB("JASPAR2024")
    pwms = [db.get(m) for m in ("MA0138.3", "MA0139.2", "MA0035.5", "MA0498.3")]
    write_meme(pwms, HERE / "motifs.meme")
    write_jaspar(pwms, HERE / "motifs.jaspar")
    viewer = Viewer()
    viewer.open(ROOT / "resources" / "examples" / "REST_GM12878_test.fa")
    viewer.add_model(ROOT / "models" / "REST_GM12878_cnn.safetensors")
    viewer.set_current(1)
    viewer.set_edited(1, "ACGT" + viewer.sequence(1)[4:])
    viewer.search("GGTGCTGA")
    path = HERE / "session.deemo-session"
    save_session(viewer, path)
    data = json.loads(path.read_text())
    for item in data["files"] + data["models"]:
        item["path"] = "/nonexistent/" + Path(item["path"]).name
    path.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
