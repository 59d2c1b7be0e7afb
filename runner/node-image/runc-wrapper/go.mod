module kubegrade.dev/runc-wrapper

go 1.22
