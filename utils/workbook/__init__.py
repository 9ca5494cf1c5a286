"""The ``workbook`` command, for instructors and contributors (a learner never needs it).

    workbook build [--check]       write notebooks/ from solutions/   (build.py)
    workbook execute NOTEBOOK...   run solution notebooks, store outputs, time cells   (execute.py)
    workbook grade SUBMISSION...   grade a class   (grade.py: the command; submission.py rebuilds one
                                   submission, kernel.py runs it, launcher.py starts its kernel within
                                   limits, reports.py writes the feedback pages)

``python -m utils ...`` and ``python -m utils.workbook ...`` are the same command.
Nothing in the learner's part of ``utils`` imports from here.
"""
