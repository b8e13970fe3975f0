package py

// RequirePython is requirePython for the tests of package py_test.
var RequirePython = requirePython
