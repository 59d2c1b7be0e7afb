// Command hello-api is the stand-in for the `demo` exercise's private image: an HTTP
// server on :8080 whose GET /api/v1/hello answers with the pod's hostname, so a client
// can tell which pod of the StatefulSet it reached.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

func main() {
	hostname, err := os.Hostname()
	if err != nil {
		log.Fatalf("hostname: %v", err)
	}
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"message":  "Hello from " + hostname,
			"hostname": hostname,
		})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	log.Printf("hello-api on %s as %s", addr, hostname)
	log.Fatal(http.ListenAndServe(addr, mux))
}
