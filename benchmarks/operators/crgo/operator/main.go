// The benchmark's operator written with controller-runtime: each Mirror gets a ConfigMap
// (owned, data.message = spec.message) and status.observedGeneration / status.configMap.
//
// Built by benchmarks/operators (go build, from the Go module proxy); run with
//
//	crgo --kubeconfig FILE --namespace NS --workers 2
//
// It prints "ready" once its caches have synced and, on SIGTERM, "reconciles {key: count}" before exiting.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

var mirrorGVK = schema.GroupVersionKind{Group: "operators.bench.pykorm.io", Version: "v1", Kind: "Mirror"}

var reconciles sync.Map // key -> *atomic.Int64

type reconciler struct {
	client client.Client
	scheme *runtime.Scheme
}

func newMirror() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(mirrorGVK)
	return u
}

func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	count, _ := reconciles.LoadOrStore(req.String(), new(atomic.Int64))
	count.(*atomic.Int64).Add(1)
	mirror := newMirror()
	if err := r.client.Get(ctx, req.NamespacedName, mirror); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if mirror.GetDeletionTimestamp() != nil {
		return ctrl.Result{}, nil
	}
	message, _, _ := unstructured.NestedString(mirror.Object, "spec", "message")

	configMap := &corev1.ConfigMap{}
	configMap.Name, configMap.Namespace = mirror.GetName(), mirror.GetNamespace()
	if _, err := controllerutil.CreateOrUpdate(ctx, r.client, configMap, func() error {
		configMap.Data = map[string]string{"message": message}
		return controllerutil.SetControllerReference(mirror, configMap, r.scheme)
	}); err != nil {
		if apierrors.IsAlreadyExists(err) { // created a moment ago: the cache has not seen it yet
			return ctrl.Result{Requeue: true}, nil
		}
		return ctrl.Result{}, err
	}

	observed, _, _ := unstructured.NestedInt64(mirror.Object, "status", "observedGeneration")
	name, _, _ := unstructured.NestedString(mirror.Object, "status", "configMap")
	if observed == mirror.GetGeneration() && name == configMap.Name {
		return ctrl.Result{}, nil
	}
	_ = unstructured.SetNestedField(mirror.Object, mirror.GetGeneration(), "status", "observedGeneration")
	_ = unstructured.SetNestedField(mirror.Object, configMap.Name, "status", "configMap")
	return ctrl.Result{}, r.client.Status().Update(ctx, mirror)
}

func main() {
	namespace := flag.String("namespace", "", "watch only this namespace")
	workers := flag.Int("workers", 2, "concurrent reconciles")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))

	config := ctrl.GetConfigOrDie() // --kubeconfig or $KUBECONFIG; no client-side rate limit (controller-runtime's default)
	config.UserAgent = "bench-controller-runtime"
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)

	// Mirrors are unstructured (no Go type for them): read them from the cache, as typed objects are.
	options := ctrl.Options{Scheme: scheme, Metrics: server.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}}}
	if *namespace != "" {
		options.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{*namespace: {}}}
	}
	manager, err := ctrl.NewManager(config, options)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := &reconciler{client: manager.GetClient(), scheme: scheme}
	err = ctrl.NewControllerManagedBy(manager).
		For(newMirror(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&corev1.ConfigMap{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: *workers}).
		Complete(r)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := ctrl.SetupSignalHandler()
	go func() {
		if manager.GetCache().WaitForCacheSync(ctx) {
			fmt.Println("ready")
		}
	}()
	if err := manager.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	counts := map[string]int64{}
	reconciles.Range(func(key, value any) bool {
		counts[key.(string)] = value.(*atomic.Int64).Load()
		return true
	})
	out, _ := json.Marshal(counts)
	fmt.Printf("reconciles %s\n", out)
}
