"""A TrueNAS middleware stand-in for the fleet2fa lab.

Every behaviour follows /work/shared/research/truenas-2fa.md ("the brief"); comments cite its
sections as "brief 2.3" and repeat its source tags: [V] verified in code by the brief's author,
[D] documented, [I] inferred. "[I-sim]" marks a choice made here where the brief is silent.
"""


def load_methods():
    from . import methods_auth, methods_system, methods_twofactor, methods_user  # noqa: F401 (registers)
