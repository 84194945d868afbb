package e2e

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
)

// TestHealthAndReflection: the standard health service answers SERVING
// and server reflection lists gvs's services, so grpcurl works against
// the socket.
func TestHealthAndReflection(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	conn, err := grpc.NewClient("unix://"+d.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	for _, svc := range []string{"", "gvs.v1.Switch", "gvs.v1.Flows", "gvs.v1.Datapath"} {
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || r.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q: %v, %v", svc, r, err)
		}
	}
	st, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	r, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range r.GetListServicesResponse().GetService() {
		have[s.Name] = true
	}
	for _, want := range []string{"gvs.v1.Switch", "gvs.v1.Flows", "gvs.v1.Datapath", "grpc.health.v1.Health"} {
		if !have[want] {
			t.Errorf("reflection does not list %s: %v", want, have)
		}
	}
}
