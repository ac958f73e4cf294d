// validate.podSecurity: the Kubernetes Pod Security Standards (baseline and restricted) evaluated on
// a Pod or a controller's pod template, with Kyverno's per-control exclusions
// (controlName, images, restrictedField, values).
import { isObject } from './jmespath/values.ts';
import { matchesAny, wildcardMatch } from './wildcard.ts';

type Obj = Record<string, unknown>;

/** One offending field: where it is, which container (if any), and its value. */
interface Finding {
  field: string;
  value: unknown;
  container?: { name: string; image: string };
}

export interface CheckFailure {
  id: string;
  reason: string;
  detail: string;
  findings: Finding[];
}

export interface PodSecurityExclude {
  controlName: string;
  images?: string[];
  restrictedField?: string;
  values?: string[];
}

export interface PodSecuritySpec {
  level: 'baseline' | 'restricted' | 'privileged';
  version: string;
  exclude: PodSecurityExclude[];
}

const CONTROL_IDS: Record<string, string[]> = {
  'Capabilities': ['capabilities_baseline', 'capabilities_restricted'],
  'Seccomp': ['seccompProfile_baseline', 'seccompProfile_restricted'],
  'Privileged Containers': ['privileged'],
  'Host Ports': ['hostPorts'],
  '/proc Mount Type': ['procMount'],
  'Host Probes / Lifecycle Hooks': ['hostProbesAndHostLifecycle'],
  'HostProcess': ['windowsHostProcess'],
  'SELinux': ['seLinuxOptions'],
  'Host Namespaces': ['hostNamespaces'],
  'HostPath Volumes': ['hostPathVolumes'],
  'Sysctls': ['sysctls'],
  'AppArmor': ['appArmorProfile'],
  'Privilege Escalation': ['allowPrivilegeEscalation'],
  'Running as Non-root': ['runAsNonRoot'],
  'Running as Non-root user': ['runAsUser'],
  'Volume Types': ['restrictedVolumes'],
};
const CONTAINER_ONLY = new Set(['Capabilities', 'Privileged Containers', 'Host Ports', '/proc Mount Type', 'Privilege Escalation', 'Host Probes / Lifecycle Hooks']);

export const PSS_CONTROL_NAMES = Object.keys(CONTROL_IDS);

const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
// The safe sysctls grow by Pod Security Standards version: [minimum minor version, names added].
const SAFE_SYSCTLS_BY_VERSION: Array<[number, string[]]> = [
  [0, ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range']],
  [27, ['net.ipv4.ip_local_reserved_ports']],
  [29, ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']],
  [32, ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']],
];
const safeSysctls = (minor: number): Set<string> => new Set(SAFE_SYSCTLS_BY_VERSION.filter(([v]) => minor >= v).flatMap(([, n]) => n));
const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

/** The newest Pod Security Standards version the checks know; `latest` and newer versions mean this one. */
export const PSS_LATEST_MINOR = 35;

/** The minor version of a `podSecurity.version` (`v1.25`, `1.25`, `latest`), capped at the newest known. */
export function pssMinorVersion(version: string | undefined): number {
  if (version === undefined || version === '' || version === 'latest') return PSS_LATEST_MINOR;
  const m = /^v?1\.(\d+)$/.exec(version.trim());
  if (!m) return PSS_LATEST_MINOR;
  return Math.min(Number(m[1]), PSS_LATEST_MINOR);
}
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const KNOWN_VOLUME_SOURCES = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos', 'image'];

function obj(v: unknown): Obj {
  return isObject(v) ? v : {};
}

interface ContainerRef { kind: string; c: Obj; name: string; image: string }

function containers(spec: Obj): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[kind];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObject(c)) continue;
      out.push({ kind, c, name: String(c.name ?? ''), image: String(c.image ?? '') });
    }
  }
  return out;
}

function names(list: ContainerRef[]): string {
  const ns = list.map((r) => `"${r.name}"`);
  return `${list.length === 1 ? 'container' : 'containers'} ${ns.join(', ')}`;
}

function cf(field: string, r: ContainerRef, value: unknown): Finding {
  return { field: `spec.${r.kind}[*].${field}`, value, container: { name: r.name, image: r.image } };
}

/** What a check may depend on besides the pod: the standards version and level evaluated. */
interface CheckEnv { minor: number; level: 'baseline' | 'restricted' }
type Check = (meta: Obj, spec: Obj, cs: ContainerRef[], env: CheckEnv) => CheckFailure | null;
/** A check, the minimum version it applies from, and the baseline check it replaces at restricted level. */
interface VersionedCheck { id: string; since: number; overrides?: string; check: Check }

function failure(id: string, reason: string, detail: string, findings: Finding[]): CheckFailure | null {
  return findings.length ? { id, reason, detail, findings } : null;
}

const isWindows = (spec: Obj): boolean => obj(spec.os).name === 'windows';

const baselineChecks: Check[] = [
  // Host namespaces
  (_m, spec) => {
    const f: Finding[] = [];
    for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k] === true) f.push({ field: `spec.${k}`, value: true });
    return failure('hostNamespaces', 'host namespaces', f.map((x) => x.field.slice(5) + '=true').join(', '), f);
  },
  // Privileged containers
  (_m, _s, cs) => {
    const bad = cs.filter((r) => obj(r.c.securityContext).privileged === true);
    return failure('privileged', 'privileged', `${names(bad)} must not set securityContext.privileged=true`, bad.map((r) => cf('securityContext.privileged', r, true)));
  },
  // Capabilities (baseline)
  (_m, _s, cs) => {
    const f: Finding[] = [];
    const bad: ContainerRef[] = [];
    const caps = new Set<string>();
    for (const r of cs) {
      const add = obj(obj(r.c.securityContext).capabilities).add;
      if (!Array.isArray(add)) continue;
      let any = false;
      for (const cap of add) {
        if (!BASELINE_CAPS.has(String(cap))) { f.push(cf('securityContext.capabilities.add', r, cap)); caps.add(String(cap)); any = true; }
      }
      if (any) bad.push(r);
    }
    return failure('capabilities_baseline', 'non-default capabilities', `${names(bad)} must not include ${[...caps].map((c) => `"${c}"`).join(', ')} in securityContext.capabilities.add`, f);
  },
  // HostPath volumes
  (_m, spec) => {
    const vols = Array.isArray(spec.volumes) ? spec.volumes.filter(isObject) : [];
    const bad = vols.filter((v) => v.hostPath !== undefined && v.hostPath !== null);
    return failure('hostPathVolumes', 'hostPath volumes', `${bad.length === 1 ? 'volume' : 'volumes'} ${bad.map((v) => `"${String(v.name)}"`).join(', ')}`, bad.map((v) => ({ field: 'spec.volumes[*].hostPath', value: v.hostPath })));
  },
  // Host ports
  (_m, _s, cs) => {
    const f: Finding[] = [];
    const bad = new Set<ContainerRef>();
    const ports: string[] = [];
    for (const r of cs) {
      const list = Array.isArray(r.c.ports) ? r.c.ports : [];
      for (const p of list) {
        const hp = obj(p).hostPort;
        if (hp !== undefined && hp !== null && hp !== 0) { f.push(cf('ports[*].hostPort', r, hp)); bad.add(r); ports.push(String(hp)); }
      }
    }
    return failure('hostPorts', 'hostPort', `${names([...bad])} ${ports.length === 1 ? 'uses hostPort' : 'use hostPorts'} ${ports.join(', ')}`, f);
  },
  // AppArmor
  (meta, spec, cs) => {
    const f: Finding[] = [];
    const ann = obj(meta.annotations);
    for (const [k, v] of Object.entries(ann)) {
      if (!k.startsWith('container.apparmor.security.beta.kubernetes.io/')) continue;
      const s = String(v);
      if (s !== '' && s !== 'runtime/default' && !s.startsWith('localhost/')) f.push({ field: 'metadata.annotations', value: s });
    }
    const ok = (t: unknown): boolean => t === undefined || t === null || t === 'RuntimeDefault' || t === 'Localhost';
    const podType = obj(obj(spec.securityContext).appArmorProfile).type;
    if (!ok(podType)) f.push({ field: 'spec.securityContext.appArmorProfile.type', value: podType });
    for (const r of cs) {
      const t = obj(obj(r.c.securityContext).appArmorProfile).type;
      if (!ok(t)) f.push(cf('securityContext.appArmorProfile.type', r, t));
    }
    return failure('appArmorProfile', 'forbidden AppArmor profile', f.map((x) => `${x.field}=${String(x.value)}`).join(', '), f);
  },
  // SELinux
  (_m, spec, cs, env) => {
    const f: Finding[] = [];
    const types = env.minor >= 31 ? SELINUX_TYPES_1_31 : SELINUX_TYPES_1_0;
    const checkOpts = (opts: Obj, prefix: string, r?: ContainerRef): void => {
      const push = (field: string, value: unknown): void => {
        f.push(r ? cf(`securityContext.seLinuxOptions.${field}`, r, value) : { field: `${prefix}.${field}`, value });
      };
      if (opts.type !== undefined && !types.has(String(opts.type))) push('type', opts.type);
      if (opts.user !== undefined && opts.user !== '') push('user', opts.user);
      if (opts.role !== undefined && opts.role !== '') push('role', opts.role);
    };
    checkOpts(obj(obj(spec.securityContext).seLinuxOptions), 'spec.securityContext.seLinuxOptions');
    for (const r of cs) checkOpts(obj(obj(r.c.securityContext).seLinuxOptions), '', r);
    return failure('seLinuxOptions', 'seLinuxOptions', f.map((x) => `${x.field}=${String(x.value)}`).join(', '), f);
  },
  // /proc mount type
  (_m, spec, cs, env) => {
    // From 1.35 baseline allows any procMount in a user namespace (hostUsers: false); restricted never does.
    const userNs = spec.hostUsers === false && env.level === 'baseline' && env.minor >= 35;
    const bad = cs.filter((r) => {
      const pm = obj(r.c.securityContext).procMount;
      if (pm === undefined || pm === null || pm === 'Default') return false;
      return !(userNs && pm === 'Unmasked');
    });
    return failure('procMount', 'procMount', `${names(bad)} must not set securityContext.procMount`, bad.map((r) => cf('securityContext.procMount', r, obj(r.c.securityContext).procMount)));
  },
  // Seccomp (baseline)
  (meta, spec, cs, env) => {
    const f: Finding[] = [];
    if (env.minor < 19) {
      // Before 1.19 the standard looked at the alpha seccomp annotations only.
      const ann = obj(meta.annotations);
      const okAnn = (v: string): boolean => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
      const bad: string[] = [];
      const podAnn = ann['seccomp.security.alpha.kubernetes.io/pod'];
      if (podAnn !== undefined && !okAnn(String(podAnn))) { bad.push(`seccomp.security.alpha.kubernetes.io/pod="${String(podAnn)}"`); f.push({ field: 'metadata.annotations', value: podAnn }); }
      for (const r of cs) {
        const key = `container.seccomp.security.alpha.kubernetes.io/${r.name}`;
        const v = ann[key];
        if (v !== undefined && !okAnn(String(v))) { bad.push(`${key}="${String(v)}"`); f.push({ field: 'metadata.annotations', value: v, container: { name: r.name, image: r.image } }); }
      }
      return failure('seccompProfile_baseline', 'seccompProfile', `forbidden ${bad.length === 1 ? 'annotation' : 'annotations'} ${bad.sort().join(', ')}`, f);
    }
    const podType = obj(obj(spec.securityContext).seccompProfile).type;
    if (podType === 'Unconfined') f.push({ field: 'spec.securityContext.seccompProfile.type', value: podType });
    for (const r of cs) {
      const t = obj(obj(r.c.securityContext).seccompProfile).type;
      if (t === 'Unconfined') f.push(cf('securityContext.seccompProfile.type', r, t));
    }
    return failure('seccompProfile_baseline', 'seccompProfile', 'seccompProfile.type must not be set to "Unconfined"', f);
  },
  // Sysctls
  (_m, spec, _cs, env) => {
    const list = obj(spec.securityContext).sysctls;
    const safe = safeSysctls(env.minor);
    const bad = Array.isArray(list) ? list.filter((s) => !safe.has(String(obj(s).name))) : [];
    return failure('sysctls', 'forbidden sysctls', bad.map((s) => String(obj(s).name)).join(', '), bad.map((s) => ({ field: 'spec.securityContext.sysctls[*].name', value: obj(s).name })));
  },
  // Windows HostProcess
  (_m, spec, cs) => {
    const f: Finding[] = [];
    if (obj(obj(spec.securityContext).windowsOptions).hostProcess === true) f.push({ field: 'spec.securityContext.windowsOptions.hostProcess', value: true });
    for (const r of cs) if (obj(obj(r.c.securityContext).windowsOptions).hostProcess === true) f.push(cf('securityContext.windowsOptions.hostProcess', r, true));
    return failure('windowsHostProcess', 'hostProcess', 'pod and containers must not set securityContext.windowsOptions.hostProcess=true', f);
  },
  // Host probes / lifecycle hooks
  (_m, _s, cs) => {
    const f: Finding[] = [];
    for (const r of cs) {
      for (const h of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle.postStart', 'lifecycle.preStop']) {
        let handler: Obj = r.c;
        for (const part of h.split('.')) handler = obj(handler[part]);
        for (const t of ['httpGet', 'tcpSocket']) {
          const host = obj(handler[t]).host;
          if (host !== undefined && host !== null && host !== '') f.push(cf(`${h}.${t}.host`, r, host));
        }
      }
    }
    return failure('hostProbesAndHostLifecycle', 'probe or lifecycle host', 'probes and lifecycle handlers must not set host', f);
  },
];

const restrictedChecks: Check[] = [
  // Volume types
  (_m, spec) => {
    const vols = Array.isArray(spec.volumes) ? spec.volumes.filter(isObject) : [];
    const f: Finding[] = [];
    for (const v of vols) {
      for (const k of Object.keys(v)) {
        if (k === 'name' || RESTRICTED_VOLUMES.has(k)) continue;
        if (KNOWN_VOLUME_SOURCES.includes(k) || isObject(v[k])) f.push({ field: 'spec.volumes[*]', value: `spec.volumes[*].${k}` });
      }
    }
    return failure('restrictedVolumes', 'restricted volume types', f.map((x) => String(x.value)).join(', '), f);
  },
  // Privilege escalation
  (_m, spec, cs, env) => {
    if (env.minor >= 25 && isWindows(spec)) return null;
    const bad = cs.filter((r) => obj(r.c.securityContext).allowPrivilegeEscalation !== false);
    return failure('allowPrivilegeEscalation', 'allowPrivilegeEscalation != false', `${names(bad)} must set securityContext.allowPrivilegeEscalation=false`, bad.map((r) => cf('securityContext.allowPrivilegeEscalation', r, obj(r.c.securityContext).allowPrivilegeEscalation ?? null)));
  },
  // Running as non-root
  (_m, spec, cs) => {
    const f: Finding[] = [];
    const podVal = obj(spec.securityContext).runAsNonRoot;
    if (podVal === false) f.push({ field: 'spec.securityContext.runAsNonRoot', value: false });
    for (const r of cs) {
      const v = obj(r.c.securityContext).runAsNonRoot;
      if (v === false) f.push(cf('securityContext.runAsNonRoot', r, false));
      else if (v !== true && podVal !== true) f.push(cf('securityContext.runAsNonRoot', r, null));
    }
    return failure('runAsNonRoot', 'runAsNonRoot != true', 'pod or containers must set securityContext.runAsNonRoot=true', f);
  },
  // Running as non-root user
  (_m, spec, cs) => {
    const f: Finding[] = [];
    if (obj(spec.securityContext).runAsUser === 0) f.push({ field: 'spec.securityContext.runAsUser', value: 0 });
    for (const r of cs) if (obj(r.c.securityContext).runAsUser === 0) f.push(cf('securityContext.runAsUser', r, 0));
    return failure('runAsUser', 'runAsUser=0', 'pod and containers must not set runAsUser=0', f);
  },
  // Seccomp (restricted)
  (_m, spec, cs, env) => {
    if (env.minor >= 25 && isWindows(spec)) return null;
    const f: Finding[] = [];
    const ok = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';
    const podType = obj(obj(spec.securityContext).seccompProfile).type;
    const podSet = podType !== undefined && podType !== null;
    if (podSet && !ok(podType)) f.push({ field: 'spec.securityContext.seccompProfile.type', value: podType });
    for (const r of cs) {
      const t = obj(obj(r.c.securityContext).seccompProfile).type;
      if (t !== undefined && t !== null) { if (!ok(t)) f.push(cf('securityContext.seccompProfile.type', r, t)); }
      else if (!podSet) f.push(cf('securityContext.seccompProfile.type', r, null));
    }
    return failure('seccompProfile_restricted', 'seccompProfile', 'pod or containers must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"', f);
  },
  // Capabilities (restricted)
  (_m, spec, cs, env) => {
    if (env.minor >= 25 && isWindows(spec)) return null;
    const f: Finding[] = [];
    for (const r of cs) {
      const caps = obj(obj(r.c.securityContext).capabilities);
      const drop = Array.isArray(caps.drop) ? caps.drop.map(String) : [];
      if (!drop.includes('ALL')) f.push(cf('securityContext.capabilities.drop', r, caps.drop ?? null));
      const add = Array.isArray(caps.add) ? caps.add : [];
      for (const a of add) if (String(a) !== 'NET_BIND_SERVICE') f.push(cf('securityContext.capabilities.add', r, a));
    }
    return failure('capabilities_restricted', 'unrestricted capabilities', 'containers must set securityContext.capabilities.drop=["ALL"] and only add NET_BIND_SERVICE', f);
  },
];

/** The first Pod Security Standards minor version each check applies from (the others: 1.0). */
const CHECK_SINCE: Record<string, number> = {
  hostProbesAndHostLifecycle: 34,
  allowPrivilegeEscalation: 8,
  seccompProfile_restricted: 19,
  capabilities_restricted: 22,
  runAsUser: 23,
};
/** Restricted checks that take the place of a baseline check at restricted level. */
const RESTRICTED_OVERRIDES: Record<string, string> = {
  seccompProfile_restricted: 'seccompProfile_baseline',
  capabilities_restricted: 'capabilities_baseline',
  restrictedVolumes: 'hostPathVolumes',
};

function exempt(finding: Finding, ex: PodSecurityExclude): boolean {
  if (ex.images && ex.images.length > 0) {
    if (!finding.container || !matchesAny(ex.images, finding.container.image)) return false;
  } else if (finding.container && !CONTAINER_ONLY.has(ex.controlName)) {
    return false;
  }
  if (ex.restrictedField) {
    if (!wildcardMatch(ex.restrictedField, finding.field)) return false;
    if (ex.values && ex.values.length > 0) {
      const v = finding.value === null || finding.value === undefined ? '' : String(finding.value);
      if (!ex.values.includes(v)) return false;
    }
  }
  return true;
}

/** Evaluates the Pod Security Standards; returns the failures left after exclusions. */
export function evaluatePodSecurity(ps: PodSecuritySpec, meta: Obj, spec: Obj): CheckFailure[] {
  if (ps.level === 'privileged') return [];
  const cs = containers(spec);
  const env: CheckEnv = { minor: pssMinorVersion(ps.version), level: ps.level };
  const checks = ps.level === 'restricted' ? [...baselineChecks, ...restrictedChecks] : baselineChecks;
  // At restricted level, a restricted check replaces the baseline check of the same field once it applies.
  const overridden = new Set<string>();
  if (ps.level === 'restricted') {
    for (const [id, base] of Object.entries(RESTRICTED_OVERRIDES)) if (env.minor >= (CHECK_SINCE[id] ?? 0)) overridden.add(base);
  }
  const out: CheckFailure[] = [];
  for (const check of checks) {
    const failed = check(meta, spec, cs, env);
    if (!failed) continue;
    if (env.minor < (CHECK_SINCE[failed.id] ?? 0) || overridden.has(failed.id)) continue;
    let findings = failed.findings;
    for (const ex of ps.exclude) {
      const ids = CONTROL_IDS[ex.controlName];
      if (!ids || !ids.includes(failed.id)) continue;
      findings = findings.filter((fd) => !exempt(fd, ex));
    }
    if (findings.length) out.push({ ...failed, findings });
  }
  return out;
}

/** Kyverno's rendering of failed checks: one `({Allowed:false ForbiddenReason:... ForbiddenDetail:...})` per line. */
export function formatFailures(failures: CheckFailure[]): string {
  return failures.map((f) => `({Allowed:false ForbiddenReason:${f.reason} ForbiddenDetail:${f.detail}})\n`).join('');
}

/** Pod metadata and spec of a Pod or a Pod controller, or null for other kinds. */
export function podTemplateOf(resource: Obj): { meta: Obj; spec: Obj } | null {
  const kind = resource.kind;
  if (kind === 'Pod') return { meta: obj(resource.metadata), spec: obj(resource.spec) };
  if (kind === 'CronJob') {
    const jt = obj(obj(resource.spec).jobTemplate);
    const tpl = obj(obj(jt.spec).template);
    return { meta: obj(jt.metadata), spec: obj(tpl.spec) };
  }
  if (['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'ReplicaSet', 'ReplicationController'].includes(String(kind))) {
    const tpl = obj(obj(resource.spec).template);
    return { meta: obj(tpl.metadata), spec: obj(tpl.spec) };
  }
  return null;
}
