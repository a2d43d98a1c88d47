"""The teacher's hidden checks, one module per chapter (``ch01`` ...).

Used only by the grader (``dlkit grade``), in a process that never ran student
code. They compare answers with the exact reference values, within stated
tolerances, and call function answers on inputs the public checks do not use.
This folder is not part of the ``dlkit`` package and is never shipped to
students: ``dlkit release`` leaves it out.

Each module defines:

- ``CHECKS``: exercise id -> function ``answer -> (passed, message)``; the
  message never states the expected value;
- ``REFERENCE``: exercise id -> the reference answer (plain NumPy/Python data, a
  reference function for function answers);
- ``WRONG``: exercise id -> one plausible wrong answer (a typical mistake), used
  by the tests to show that wrong answers are caught;
- ``WRONG_SOURCE``: for every ``WRONG`` that is not a literal (a function, a
  trained model), code a student could type that defines ``answer_NN_k``; the
  grading round-trip test runs it in the kernel;
- ``PROBES``: for function answers, the argument tuples the hidden check calls
  them with; the grader calls the student's function on them inside the
  student's kernel and passes the recorded outputs on.
"""
