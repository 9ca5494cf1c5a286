"""The ``workbook`` command, for instructors and contributors (a learner never needs it).

    workbook build [--check]       write notebooks/ from solutions/   (build.py)
    workbook execute NOTEBOOK...   run solution notebooks, store outputs, time cells   (execute.py)
    workbook grade SUBMISSION...   grade a class   (grade.py: the command; submission.py rebuilds one
                                   submission, kernel.py runs it, launcher.py starts its kernel within
                                   limits, tamper.py keeps the checks honest, reports.py writes the
                                   feedback pages, results.py keeps a result file per submission,
                                   shard.py splits a class into shards)
    workbook grade merge DIR...    put shards together   (merge.py)
    workbook report DIR            the class report, report.html and report.png   (report.py)
    workbook export DIR...         grades for Canvas or Moodle   (export.py)
    workbook autograder ID         a Gradescope autograder   (autograder.py)

``python -m utils ...`` and ``python -m utils.workbook ...`` are the same command.
Nothing in the learner's part of ``utils`` imports from here.
"""
