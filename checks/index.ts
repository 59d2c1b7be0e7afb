/** Every check module by id: exercise definitions refer to checks by these ids. */
import type { CheckDefinition } from "./api.ts";
import dataPersistence from "./data-persistence.ts";
import headlessService from "./headless-service.ts";
import orderedCreation from "./ordered-creation.ts";
import perPodStorage from "./per-pod-storage.ts";
import podDns from "./pod-dns.ts";
import stableIdentity from "./stable-identity.ts";
import statefulsetSpec from "./statefulset-spec.ts";
import httpContent from "./http-content.ts";
import scalingOrder from "./scaling-order.ts";
import partitionedRollout from "./partitioned-rollout.ts";
import claimsOutliveSet from "./claims-outlive-set.ts";
import cassandraSeeds from "./cassandra-seeds.ts";
import cassandraRing from "./cassandra-ring.ts";
import cassandraScaling from "./cassandra-scaling.ts";

const all = [
  headlessService, statefulsetSpec, orderedCreation, perPodStorage, podDns, stableIdentity, dataPersistence,
  httpContent, scalingOrder, partitionedRollout, claimsOutliveSet, cassandraSeeds, cassandraRing, cassandraScaling,
] as CheckDefinition<unknown>[];

export const CHECKS: ReadonlyMap<string, CheckDefinition<unknown>> = new Map(all.map((c) => [c.id, c]));
