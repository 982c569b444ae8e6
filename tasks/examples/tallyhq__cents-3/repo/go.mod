module github.com/tallyhq/cents

go 1.19
