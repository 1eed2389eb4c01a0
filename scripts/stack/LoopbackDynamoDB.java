// DynamoDB Local served on one loopback address only.
//
// DynamoDBLocal.jar has no bind-address option (it listens on every interface) and its -cors
// defaults to "*". This launcher builds the same request handler the jar's ServerRunner builds for
// `-inMemory -sharedDb` and serves it from a Jetty connector bound to HOST, with no CORS origin
// allowed. scripts/stack/dynamodb.sh compiles it once into the cache, next to the jar.
//
//   java -cp CLASSES:DynamoDBLocal.jar LoopbackDynamoDB HOST PORT
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBServerHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;

public final class LoopbackDynamoDB {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: LoopbackDynamoDB HOST PORT");
            System.exit(2);
        }
        // (port, inMemory, dbPath, sharedDb, delayTransientStatuses), as ServerRunner builds it
        LocalDynamoDBRequestHandler requests = new LocalDynamoDBRequestHandler(0, true, null, true, false);
        // null: no CORS origins (the jar's default, "*", lets any web page call it)
        ContextHandler context = new ContextHandler();
        context.setHandler(new LocalDynamoDBServerHandler(requests, null));
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(args[0]);
        connector.setPort(Integer.parseInt(args[1]));
        server.addConnector(connector);
        server.setHandler(context);
        server.setStopAtShutdown(true);
        server.start();
        System.err.println("DynamoDB Local listening on " + args[0] + ":" + args[1] + " (in memory, shared)");
        server.join();
    }
}
