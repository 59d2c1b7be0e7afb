module kubegrade.dev/hello-api

go 1.22
