"""Qt widgets that observe the viewer model and send user actions back to it."""


def run(viewer=None) -> int:
    """Show a window for every `deemo_gui.Viewer` made so far (or a new one) and run the Qt event loop.

    napari-style: ``viewer = deemo_gui.Viewer(); viewer.open("peaks.fa"); deemo_gui.run()``.
    Returns the event loop's exit code.
    """
    from deemo_gui.qt.app import get_app
    from deemo_gui.viewer import Viewer

    app = get_app()
    viewers = [viewer] if viewer is not None else Viewer.instances()
    if not viewers:
        viewers = [Viewer()]
    for v in viewers:
        v.show()
    return app.exec()
