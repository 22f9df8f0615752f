/**
 * The registry of this API's kinds: adding a kind is its names in `groupversion.ts` (kept free of
 * TypeBox for the CLI's start-up), one kind file (schema, printer columns, conditions,
 * `<KIND>_KIND`) and one line here. The generator makes one CRD per entry, in this order (the
 * install order).
 */
import { APPLICATION_KIND } from './application.ts';
import { CLUSTER_KIND } from './cluster.ts';
import { CLUSTER_TEMPLATE_KIND } from './clustertemplate.ts';
import { APPLICATION, CLUSTER, CLUSTER_TEMPLATE, NODE_GROUP, PLATFORM_CONFIG, PROJECT, type KindDefinition } from './groupversion.ts';
import { NODE_GROUP_KIND } from './nodegroup.ts';
import { PLATFORM_CONFIG_KIND } from './platformconfig.ts';
import { PROJECT_KIND } from './project.ts';

/** Every kind of this API with what the generator needs of it, in the order they are installed. */
export const KIND_DEFINITIONS: readonly KindDefinition[] = [PLATFORM_CONFIG_KIND, PROJECT_KIND, CLUSTER_TEMPLATE_KIND, CLUSTER_KIND, NODE_GROUP_KIND, APPLICATION_KIND];

/** The names of every kind of this API, in the order they are installed. */
export const KINDS = [PLATFORM_CONFIG, PROJECT, CLUSTER_TEMPLATE, CLUSTER, NODE_GROUP, APPLICATION] as const;
