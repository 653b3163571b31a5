"""Qt widgets that observe the viewer model and send user actions back to it."""
