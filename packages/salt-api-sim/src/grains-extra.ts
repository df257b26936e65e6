import type { Rng } from './prng.js';
import type { Grains } from './types.js';

// The grains salt 3006 reports beyond the ones the rest of the generator models, so one minion's
// `cache.grains` entry weighs what a real one does (about 5.2 KB as salt-api writes it, with Python's
// separators: cpu_flags alone is over a kilobyte). Nothing reads them; they are there for their size and shape.

const CPU_FLAGS = (
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx ' +
  'mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl tsc_reliable nonstop_tsc cpuid extd_apicid ' +
  'tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand ' +
  'hypervisor lahf_lm cmp_legacy extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext perfctr_core ' +
  'invpcid_single ssbd ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt ' +
  'clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero arat umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor fsrm ' +
  'md_clear flush_l1d arch_capabilities ibrs_enhanced ssbd_no mds_no taa_no tsx_async_abort_no rsba pschange_mc_no ' +
  'virt_ssbd amd_ssbd amd_ppin cat_l3 cdp_l3 hw_pstate sme sev sev_es mba cqm cqm_llc cqm_occup_llc cqm_mbm_total ' +
  'cqm_mbm_local user_shstk'
).split(' ');

const PYTHONPATH = [
  '/opt/saltstack/salt/bin',
  '/opt/saltstack/salt/extras-3.10',
  '/opt/saltstack/salt/lib/python310.zip',
  '/opt/saltstack/salt/lib/python3.10',
  '/opt/saltstack/salt/lib/python3.10/lib-dynload',
  '/opt/saltstack/salt/lib/python3.10/site-packages',
];

const SYSTEMD_FEATURES =
  '+PAM +AUDIT +SELINUX -APPARMOR +IMA +SMACK +SECCOMP +GCRYPT +GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 ' +
  '+IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD ' +
  '-BPF_FRAMEWORK +XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified';

export function extraGrains(rng: Rng, kernelrelease: string): Grains {
  // A few flags differ between CPU generations: drop some, deterministically per minion.
  const flags = CPU_FLAGS.filter(() => rng.next() >= 0.03);
  return {
    cpu_flags: flags,
    kernelparams: [
      ['BOOT_IMAGE', `(hd0,gpt2)/vmlinuz-${kernelrelease}`],
      ['root', '/dev/mapper/rl-root'],
      ['ro', null],
      ['crashkernel', '1G-4G:192M,4G-64G:256M,64G-:512M'],
      ['rd.lvm.lv', 'rl/root'],
      ['rd.lvm.lv', 'rl/swap'],
      ['rhgb', null],
      ['quiet', null],
    ],
    pythonpath: PYTHONPATH,
    selinux: { enabled: true, enforced: 'Enforcing' },
    systemd_features: SYSTEMD_FEATURES,
    iscsi_initiator_name: `iqn.1994-05.com.redhat:${rng.hex(12)}`,
    nvme_nqn: [],
    fc_wwn: [],
    lvm: { rl: ['home', 'root', 'swap'] },
    mdadm: [],
    transactional: false,
    biosvendor: 'Phoenix Technologies LTD',
    'efi-secure-boot': false,
    virtual_subtype: null,
  };
}
