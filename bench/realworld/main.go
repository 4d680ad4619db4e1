// Package main is the benchmark corpus of scripts/bench-size.sh: a small
// service that imports packages of widely used real modules, so that
// `go mod vendor` copies a real-world tree. It only has to compile.
package main

import (
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
)

var (
	_ = amclient.DefaultHost
	_ = amconfig.Load
	_ = minio.New
	_ = credentials.NewStaticV4
	_ = prometheus.NewRegistry
	_ = promhttp.Handler
	_ = gin.New
	_ = pgx.Connect
	_ = cobra.Command{}
	_ = clientv3.New
	_ = otlptracegrpc.New
	_ = sdktrace.NewTracerProvider
	_ = grpc.NewServer
)

func main() {
	fmt.Println("ferry benchmark corpus: nothing to run")
}
