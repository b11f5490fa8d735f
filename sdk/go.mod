module github.com/mpichan/mpichan/sdk

go 1.26

require github.com/sbromberger/gompi v0.2.0

require github.com/anishathalye/porcupine v1.3.1
