// client-go's reference figures for the caches benchmark: one shared informer of the ConfigMaps
// of a namespace; the time until it has synced and the memory it holds then.
//
//	informer --kubeconfig FILE --namespace NS [--strip-managed-fields]
//
// Prints one JSON line: {"objects": n, "sync_s": s, "heap_mib": live heap after a GC, "rss_mib": resident set}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
)

func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb float64
			fmt.Sscanf(strings.Fields(line)[1], "%f", &kb)
			return kb / 1024
		}
	}
	return -1
}

func heapMiB() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return float64(stats.HeapAlloc) / (1 << 20)
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the cluster")
	namespace := flag.String("namespace", "", "the namespace")
	strip := flag.Bool("strip-managed-fields", false, "controller-runtime's cache.TransformStripManagedFields")
	flag.Parse()
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	config.QPS, config.Burst = -1, -1
	client := kubernetes.NewForConfigOrDie(config)
	heapBefore, rssBefore := heapMiB(), rssMiB()
	options := []informers.SharedInformerOption{informers.WithNamespace(*namespace)}
	if *strip {
		options = append(options, informers.WithTransform(crcache.TransformStripManagedFields()))
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, options...)
	informer := factory.Core().V1().ConfigMaps().Informer()
	stop := make(chan struct{})
	start := time.Now()
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, informer.HasSynced) {
		os.Exit(1)
	}
	synced := time.Since(start).Seconds()
	objects := len(informer.GetStore().ListKeys())
	out, _ := json.Marshal(map[string]any{
		"objects": objects, "sync_s": synced,
		"heap_mib": heapMiB() - heapBefore, "rss_mib": rssMiB() - rssBefore,
	})
	fmt.Println(string(out))
	close(stop)
}
