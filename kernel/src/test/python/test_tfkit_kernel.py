"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the tfkit Java kernel.

Run by dev.tfkit.kernel.JupyterIntegrationTest with JUPYTER_PATH pointing at a temporary
kernelspec named by TFKIT_KERNEL_NAME.
"""
import os
import unittest

import jupyter_kernel_test as jkt


class TfkitKernelTests(jkt.KernelTests):
    kernel_name = os.environ.get("TFKIT_KERNEL_NAME", "java")
    language_name = "java"
    file_extension = ".jshell"

    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("to stderr");'

    completion_samples = [
        {"text": "String.valueO", "matches": {"valueOf("}},
        {"text": "Math.ma", "matches": {"max("}},
    ]

    complete_code_samples = ["1 + 1", "int x = 1;", "for (int i = 0; i < 3; i++) {}", "%lsmagic"]
    incomplete_code_samples = ["for (int i = 0; i < 3; i++) {", 'String s = "a" +', "class Open {"]
    invalid_code_samples = ["}", "int x = ;"]

    code_generate_error = 'throw new IllegalStateException("boom");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"hello " + "java"', "result": "hello java"},
        {"code": "java.util.List.of(1, 2)", "result": "[1, 2]"},
    ]

    code_display_data = [
        {"code": 'display("<b>bold</b>", "text/html");', "mime": "text/html"},
        {"code": "display(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB));",
         "mime": "image/png"},
    ]

    code_history_pattern = "*6*7*"
    supported_history_operations = ("tail", "search")

    code_inspect_sample = "Math.max"


if __name__ == "__main__":
    unittest.main()
