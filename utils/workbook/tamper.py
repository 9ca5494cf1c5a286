"""Tamper detection: a check cannot be talked out of its result.

A submission's answer cells run in the same kernel as the checks, so they could rebind a
check function (``check_rnn_step = lambda f: print("✓")``), replace one in
``utils.checks``, or patch what the checks call and compare with (``np.allclose``,
``Check.expect_close``, ``torch.Tensor.allclose``, a tolerance in ``utils.checks.core``,
``builtins.isinstance``, an IPython input transformer that rewrites the check cell).

``kernel.py`` asks the kernel for a *fingerprint* of all that: the identity (``id``) of
every attribute of the loaded ``utils`` modules (not ``utils.workbook``) and of the
methods of their classes, the code object of every function among them, every callable
of ``numpy``, ``numpy.linalg``, ``numpy.testing``, ``math``, ``operator``, ``torch``,
``torch.nn.functional``, ``torch.testing``, the methods of ``torch.Tensor``, the
builtins the checks use, the IPython input and AST transformers, and the functions the
notebook's namespace binds to names starting with ``check``.

1. Right before the first answer cell runs (so before any student code), the kernel
   takes the *baseline*; the grader keeps its digest, outside the kernel.
2. Right before each check cell, and right after it when it passed, the kernel
   recomputes the fingerprint over the baseline's names; any difference from the
   baseline digest, or a name the check cell calls (``check_x``) that is no longer the
   ``utils.checks`` function of that name, makes the check ``tampered``: 0 points,
   and a message that names what was replaced. A name the notebook binds to a check
   function (``check_x``) counts only for the check cells that call it; everything else
   counts for every check after the change. A library's own lazy wrapping of one of its
   functions (``torch._dynamo`` wraps ``torch.manual_seed`` when first imported) is not
   a change: the new object's ``__wrapped__`` chain reaches the old one and its code is in
   the library's folder.

The fingerprint code is sent by the grader with each request (as a ``user_expressions``
entry, which IPython evaluates without input transformers), and the decision is taken
by the grader from the digest, so changing the kernel's copy of the baseline only makes
a mismatch. It catches the plain forms above; a submission written against this module
could still get around any check made inside the kernel it controls (such code is plain
to see in the submission). See docs/grading.md.
"""

from __future__ import annotations

import ast
import json
import re

# Modules (besides utils.*) whose callables the checks use to compute and compare.
WATCHED_MODULES = ("numpy", "numpy.linalg", "numpy.testing", "math", "operator", "torch", "torch.nn.functional",
                   "torch.testing", "copy", "functools")
WATCHED_BUILTINS = ("abs", "all", "any", "bool", "callable", "dict", "float", "getattr", "hasattr", "int",
                    "isinstance", "issubclass", "len", "list", "max", "min", "range", "repr", "round", "set",
                    "sorted", "str", "sum", "tuple", "type", "zip", "exec", "eval", "compile", "id", "iter", "next",
                    "AssertionError", "NotImplementedError", "Exception")

GUARD_SOURCE = r'''
import sys as _sys, types as _types, hashlib as _hashlib, json as _json

def _fingerprint(ns, watched, builtin_names, objects=None):
    fp = {}
    def add(name, obj):
        fp[name] = id(obj)
        if objects is not None:
            objects[name] = obj
        code = getattr(obj, "__code__", None) if isinstance(obj, (_types.FunctionType, _types.MethodType)) else None
        if code is not None:
            fp[name + ".__code__"] = id(code)
            fp[name + ".__defaults__"] = id(obj.__defaults__)
            fp[name + ".__kwdefaults__"] = id(obj.__kwdefaults__)
    for modname in sorted(m for m in list(_sys.modules)
                          if m in watched or m == "utils" or (m.startswith("utils.") and not m.startswith("utils.workbook"))):
        mod = _sys.modules.get(modname)
        if mod is None:
            continue
        ours = modname == "utils" or modname.startswith("utils.")
        for key, value in list(vars(mod).items()):
            if key.startswith("__") and key.endswith("__"):
                continue
            if ours or callable(value) or isinstance(value, _types.ModuleType):
                add(modname + ":" + key, value)
            if ours and isinstance(value, type) and getattr(value, "__module__", "").startswith("utils."):
                for attr, member in list(vars(value).items()):
                    if attr not in ("__dict__", "__weakref__", "__doc__", "__module__", "__annotations__"):
                        add(modname + ":" + key + "." + attr, member)
    torch = _sys.modules.get("torch")
    if torch is not None and isinstance(getattr(torch, "Tensor", None), type):
        for attr, member in list(vars(torch.Tensor).items()):
            if callable(member):
                add("torch.Tensor." + attr, member)
    import builtins as _builtins
    for name in builtin_names:
        add("builtins:" + name, getattr(_builtins, name, None))
    for key, value in list(ns.items()):
        if key.startswith("check") and callable(value):
            add("ns:" + key, value)
    try:
        from IPython import get_ipython
        shell = get_ipython()
        for attr in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
            fp["ipython:" + attr] = tuple(id(t) for t in getattr(shell, attr, []))
    except Exception:
        pass
    return fp

def _digest(fp, keys):
    # hash() is salted per process, and every digest of a submission comes from its one kernel
    return str(hash(tuple(map(fp.get, keys))))

def _split(keys):
    shared, names = [], {}
    for k in keys:
        if k.startswith("ns:"):
            names.setdefault(k[3:].split(".")[0], []).append(k)
        else:
            shared.append(k)
    return tuple(sorted(shared)), {n: tuple(sorted(v)) for n, v in names.items()}

def _library_wrapper(key, obj, old_id):
    """Whether `obj` is the library's own wrapper of the object it replaced (torch._dynamo wraps
    torch.manual_seed when it is first imported): its __wrapped__ chain reaches the old object,
    and its code lives in the library's own folder."""
    root = key.split(":")[0].split(".")[0]
    if root in ("utils", "builtins", "ipython", "ns"):
        return False
    folder = getattr(_sys.modules.get(root), "__file__", None)
    code = getattr(obj, "__code__", None)
    if not folder or code is None:
        return False
    import os as _os
    if not _os.path.abspath(code.co_filename).startswith(_os.path.dirname(_os.path.abspath(folder)) + _os.sep):
        return False
    seen = obj
    for _ in range(8):
        seen = getattr(seen, "__wrapped__", None)
        if seen is None:
            return False
        if id(seen) == old_id:
            return True
    return False

_objects = {}
_fp = _fingerprint(NS, WATCHED, BUILTINS, _objects)
if MODE == "base":
    _shared, _names = _split(_fp)
    _digests = {n: _digest(_fp, k) for n, k in _names.items()}
    _sys._workbook_guard_baseline = (dict(_fp), _shared, _names, _digest(_fp, _shared), _digests)
    RESULT = _json.dumps({"digest": _digest(_fp, _shared), "names": _digests})
else:
    _base, _shared, _names, _was, _was_names = (getattr(_sys, "_workbook_guard_baseline", None)
                                                or ({}, (), {}, "", {}))
    _keys = list(_shared) + [k for n in CALLED for k in _names.get(n, ())]
    changed = []
    if _digest(_fp, _shared) != _was or any(_digest(_fp, _names[n]) != _was_names.get(n)
                                            for n in CALLED if n in _names):  # the slow part only then
        for k in _keys:
            if _fp.get(k) != _base.get(k) and k in _fp and _library_wrapper(k, _objects.get(k), _base[k]):
                _fp[k] = _base[k]
                for suffix in (".__code__", ".__defaults__", ".__kwdefaults__"):
                    if k + suffix in _base:
                        _fp[k + suffix] = _base[k + suffix]
        changed = [k for k in _keys if _fp.get(k) != _base.get(k)]
    checks = _sys.modules.get("utils.checks")
    foreign = [n for n in CALLED if n not in _names and checks is not None and hasattr(checks, n)
               and NS.get(n) is not getattr(checks, n)]
    RESULT = _json.dumps({"digest": _digest(_fp, _shared), "changed": changed[:8], "n_changed": len(changed),
                          "names": {n: _digest(_fp, _names[n]) for n in CALLED if n in _names}, "foreign": foreign})
'''

_CALL = re.compile(r"\b(check_\w+)\s*\(")


def called_checks(source: str) -> list:
    """The check functions a check cell calls (``check_rnn_step(rnn_step)`` -> ["check_rnn_step"])."""
    return sorted(set(_CALL.findall(source)))


def expression(mode: str, called=()) -> dict:
    """The ``user_expressions`` of an execute request that fingerprints the kernel."""
    env = (f"{{'NS': globals(), 'MODE': {mode!r}, 'CALLED': {list(called)!r}, "
           f"'WATCHED': {list(WATCHED_MODULES)!r}, 'BUILTINS': {list(WATCHED_BUILTINS)!r}}}")
    return {"workbook_guard": f"(lambda g: (exec({GUARD_SOURCE!r}, g), g['RESULT'])[1])({env})"}


def parse(reply: dict):
    """The guard's answer in an execute_reply content, or None when it is missing or broken."""
    entry = (reply.get("user_expressions") or {}).get("workbook_guard")
    if not isinstance(entry, dict) or entry.get("status") != "ok":
        return None
    try:
        text = ast.literal_eval(entry.get("data", {}).get("text/plain", ""))
        value = json.loads(text)
    except (ValueError, SyntaxError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _describe(key: str) -> str:
    name = key.replace(":", ".", 1)
    if name.startswith("ns."):
        return f"`{name[3:]}` in the notebook"
    if name.startswith("ipython."):
        return f"IPython's {name[8:]} (a transformer that rewrites cells)"
    return f"`{name}`"


def verdict(baseline: dict, answer, when: str):
    """None when `answer` (from parse) matches the `baseline` (the parsed "base" answer), else the
    message of a tampered check."""
    if answer is None or not isinstance(answer.get("names"), dict):
        return (f"this check was not scored: {when} it ran, the grader could not verify that the check functions "
                "were still the course's own (the submission's code broke or replaced what the grader uses to look)")
    foreign = answer.get("foreign") or []
    rebound = [n for n, d in answer["names"].items() if baseline.get("names", {}).get(n) != d]
    if answer.get("digest") == baseline.get("digest") and not foreign and not rebound:
        return None
    changed = answer.get("changed") or []
    what = [f"`{n}` in the notebook (it is no longer `utils.checks.{n}`)" for n in foreign]
    what += [_describe(re.sub(r"\.__(code|defaults|kwdefaults)__$", "", k)) for k in changed]
    what += [f"`{n}` in the notebook" for n in rebound]
    more = answer.get("n_changed", len(changed)) - len(changed)
    listed = "; ".join(dict.fromkeys(what)) or "what the checks use"
    return (f"this check was not scored: {when} it ran, the submission's code had replaced {listed}"
            + (f" and {more} more" if more > 0 else "")
            + ". A check function, or what it calls or compares with, was changed, so a pass would prove nothing: "
              "the check gets 0 points. Keep only your function definitions in the exercise cells.")
