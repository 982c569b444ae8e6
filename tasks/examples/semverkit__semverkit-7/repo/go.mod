module github.com/versionista/semverkit

go 1.19
