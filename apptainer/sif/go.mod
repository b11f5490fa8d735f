module github.com/mpichan/mpichan/apptainer/sif

go 1.26.5

require github.com/apptainer/sif/v2 v2.25.0

require (
	github.com/google/go-containerregistry v0.22.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
)
