//! Which events a rule's log source names: a Windows channel and, for a category, the event
//! ids that record it. The tables are pySigma's Windows pipelines (`windows_logsource_mapping`
//! for services, `sysmon` for categories, `windows_audit` for the Security log's process
//! creation) written down in docs/telemetry.md. A log source outside them cannot be
//! evaluated, and the rule is reported as unsupported, never as not fired.

/// Events of one channel (lower-cased), of the listed ids or of any id when none are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventClass {
    pub channel: &'static str,
    pub event_ids: &'static [u32],
}

const SYSMON: &str = "microsoft-windows-sysmon/operational";
const SECURITY: &str = "security";
const POWERSHELL: &str = "microsoft-windows-powershell/operational";
const POWERSHELL_CLASSIC: &str = "windows powershell";

/// Windows services (`logsource.service`) and their channels, as pySigma's Windows pipeline.
const SERVICES: &[(&str, &[&str])] = &[
    ("security", &[SECURITY]),
    ("system", &["system"]),
    ("application", &["application"]),
    ("sysmon", &[SYSMON]),
    ("powershell", &[POWERSHELL]),
    ("powershell-classic", &[POWERSHELL_CLASSIC]),
    (
        "taskscheduler",
        &["microsoft-windows-taskscheduler/operational"],
    ),
    ("wmi", &["microsoft-windows-wmi-activity/operational"]),
    ("dns-server", &["dns server"]),
    ("dns-server-audit", &["microsoft-windows-dns-server/audit"]),
    (
        "dns-server-analytic",
        &["microsoft-windows-dns-server/analytical"],
    ),
    (
        "driver-framework",
        &["microsoft-windows-driverframeworks-usermode/operational"],
    ),
    ("ntlm", &["microsoft-windows-ntlm/operational"]),
    ("dhcp", &["microsoft-windows-dhcp-server/operational"]),
    ("msexchange-management", &["msexchange management"]),
    (
        "applocker",
        &[
            "microsoft-windows-applocker/msi and script",
            "microsoft-windows-applocker/exe and dll",
            "microsoft-windows-applocker/packaged app-deployment",
            "microsoft-windows-applocker/packaged app-execution",
        ],
    ),
    (
        "printservice-admin",
        &["microsoft-windows-printservice/admin"],
    ),
    (
        "printservice-operational",
        &["microsoft-windows-printservice/operational"],
    ),
    (
        "codeintegrity-operational",
        &["microsoft-windows-codeintegrity/operational"],
    ),
    (
        "smbclient-security",
        &["microsoft-windows-smbclient/security"],
    ),
    (
        "smbclient-connectivity",
        &["microsoft-windows-smbclient/connectivity"],
    ),
    (
        "firewall-as",
        &["microsoft-windows-windows firewall with advanced security/firewall"],
    ),
    (
        "bits-client",
        &["microsoft-windows-bits-client/operational"],
    ),
    (
        "windefend",
        &["microsoft-windows-windows defender/operational"],
    ),
    (
        "terminalservices-localsessionmanager",
        &["microsoft-windows-terminalservices-localsessionmanager/operational"],
    ),
    (
        "microsoft-servicebus-client",
        &["microsoft-servicebus-client"],
    ),
    ("ldap", &["microsoft-windows-ldap-client/debug"]),
    ("ldap_debug", &["microsoft-windows-ldap-client/debug"]),
    (
        "security-mitigations",
        &[
            "microsoft-windows-security-mitigations/kernel mode",
            "microsoft-windows-security-mitigations/user mode",
        ],
    ),
    (
        "diagnosis-scripted",
        &["microsoft-windows-diagnosis-scripted/operational"],
    ),
    ("shell-core", &["microsoft-windows-shell-core/operational"]),
    ("openssh", &["openssh/operational"]),
    (
        "bitlocker",
        &["microsoft-windows-bitlocker/bitlocker management"],
    ),
    ("vhdmp", &["microsoft-windows-vhdmp/operational"]),
    (
        "appxdeployment-server",
        &["microsoft-windows-appxdeploymentserver/operational"],
    ),
    ("lsa-server", &["microsoft-windows-lsa/operational"]),
    (
        "appxpackaging-om",
        &["microsoft-windows-appxpackaging/operational"],
    ),
    (
        "dns-client",
        &["microsoft-windows-dns client events/operational"],
    ),
    (
        "appmodel-runtime",
        &["microsoft-windows-appmodel-runtime/admin"],
    ),
    ("capi2", &["microsoft-windows-capi2/operational"]),
    (
        "certificateservicesclient-lifecycle-system",
        &["microsoft-windows-certificateservicesclient-lifecycle-system/operational"],
    ),
    (
        "kernel-shimengine",
        &["microsoft-windows-kernel-shimengine/operational"],
    ),
    ("hyper-v-worker", &["microsoft-windows-hyper-v-worker"]),
    (
        "kernel-event-tracing",
        &["microsoft-windows-kernel-eventtracing"],
    ),
    (
        "iis-configuration",
        &["microsoft-iis-configuration/operational"],
    ),
    (
        "application-experience",
        &[
            "microsoft-windows-application-experience/program-telemetry",
            "microsoft-windows-application-experience/program-compatibility-assistant",
        ],
    ),
    ("sense", &["microsoft-windows-sense/operational"]),
    (
        "rdp",
        &["microsoft-windows-terminalservices-remoteconnectionmanager/operational"],
    ),
    ("ntfs", &["microsoft-windows-ntfs/operational"]),
    (
        "wmi-activity",
        &["microsoft-windows-wmi-activity/operational"],
    ),
];

/// Windows categories and the events that record them: Sysmon's, PowerShell's, and the
/// Security log's process creation.
const CATEGORIES: &[(&str, &[EventClass])] = &[
    (
        "process_creation",
        &[
            EventClass {
                channel: SYSMON,
                event_ids: &[1],
            },
            EventClass {
                channel: SECURITY,
                event_ids: &[4688],
            },
        ],
    ),
    (
        "file_change",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[2],
        }],
    ),
    (
        "network_connection",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[3],
        }],
    ),
    (
        "sysmon_status",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[4, 16],
        }],
    ),
    (
        "process_termination",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[5],
        }],
    ),
    (
        "driver_load",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[6],
        }],
    ),
    (
        "image_load",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[7],
        }],
    ),
    (
        "create_remote_thread",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[8],
        }],
    ),
    (
        "raw_access_thread",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[9],
        }],
    ),
    (
        "process_access",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[10],
        }],
    ),
    (
        "file_event",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[11],
        }],
    ),
    (
        "registry_add",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[12],
        }],
    ),
    (
        "registry_delete",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[12],
        }],
    ),
    (
        "registry_set",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[13],
        }],
    ),
    (
        "registry_rename",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[14],
        }],
    ),
    (
        "registry_event",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[12, 13, 14],
        }],
    ),
    (
        "create_stream_hash",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[15],
        }],
    ),
    (
        "pipe_created",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[17, 18],
        }],
    ),
    (
        "wmi_event",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[19, 20, 21],
        }],
    ),
    (
        "dns_query",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[22],
        }],
    ),
    (
        "file_delete",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[23, 26],
        }],
    ),
    (
        "clipboard_capture",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[24],
        }],
    ),
    (
        "process_tampering",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[25],
        }],
    ),
    (
        "file_delete_detected",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[26],
        }],
    ),
    (
        "file_block_executable",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[27],
        }],
    ),
    (
        "file_block_shredding",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[28],
        }],
    ),
    (
        "file_executable_detected",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[29],
        }],
    ),
    (
        "sysmon_error",
        &[EventClass {
            channel: SYSMON,
            event_ids: &[255],
        }],
    ),
    (
        "ps_module",
        &[EventClass {
            channel: POWERSHELL,
            event_ids: &[4103],
        }],
    ),
    (
        "ps_script",
        &[EventClass {
            channel: POWERSHELL,
            event_ids: &[4104],
        }],
    ),
    (
        "ps_classic_start",
        &[EventClass {
            channel: POWERSHELL_CLASSIC,
            event_ids: &[400],
        }],
    ),
    (
        "ps_classic_provider_start",
        &[EventClass {
            channel: POWERSHELL_CLASSIC,
            event_ids: &[600],
        }],
    ),
    (
        "ps_classic_script",
        &[EventClass {
            channel: POWERSHELL_CLASSIC,
            event_ids: &[800],
        }],
    ),
];

/// The classes of events a log source names, or why it names none Aegis reads.
///
/// # Errors
/// The reason the rule cannot be evaluated: a product other than Windows, or a Windows
/// category or service with no mapping.
pub fn event_classes(
    product: Option<&str>,
    category: Option<&str>,
    service: Option<&str>,
) -> Result<Vec<EventClass>, String> {
    let product = product.map(str::to_lowercase);
    let category = category.map(str::to_lowercase);
    let service = service.map(str::to_lowercase);
    match product.as_deref() {
        Some("windows") | None => {}
        Some(other) => {
            return Err(format!(
                "log source product `{other}`: Aegis reads Windows telemetry only"
            ));
        }
    }
    let by_category = match category.as_deref() {
        Some(category) => Some(
            CATEGORIES
                .iter()
                .find(|(name, _)| *name == category)
                .map(|(_, classes)| classes.to_vec())
                .ok_or_else(|| {
                    format!("log source category `{category}` has no Windows event mapping")
                })?,
        ),
        None => None,
    };
    let by_service = match service.as_deref() {
        Some(service) => Some(
            SERVICES
                .iter()
                .find(|(name, _)| *name == service)
                .map(|(_, channels)| {
                    channels
                        .iter()
                        .map(|channel| EventClass {
                            channel,
                            event_ids: &[],
                        })
                        .collect::<Vec<_>>()
                })
                .ok_or_else(|| {
                    format!("log source service `{service}` has no Windows channel mapping")
                })?,
        ),
        None => None,
    };
    match (by_category, by_service) {
        (Some(category), Some(service)) => {
            // Both named: the category's events on the service's channels.
            let classes: Vec<EventClass> = category
                .into_iter()
                .filter(|c| service.iter().any(|s| s.channel == c.channel))
                .collect();
            if classes.is_empty() {
                Err("the log source's category and service name no common events".to_owned())
            } else {
                Ok(classes)
            }
        }
        (Some(classes), None) | (None, Some(classes)) => Ok(classes),
        (None, None) => Err(if product.is_some() {
            "log source `windows` without a category or service names no events".to_owned()
        } else {
            "the rule has no log source".to_owned()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_creation_is_sysmon_1_and_security_4688() {
        let classes =
            event_classes(Some("windows"), Some("process_creation"), None).unwrap_or_default();
        assert_eq!(classes.len(), 2);
        assert_eq!(classes[0].event_ids, &[1]);
        assert_eq!(classes[1].event_ids, &[4688]);
        let sysmon_only = event_classes(Some("windows"), Some("process_creation"), Some("sysmon"))
            .unwrap_or_default();
        assert_eq!(sysmon_only.len(), 1);
    }

    #[test]
    fn services_name_channels_and_other_products_are_refused() {
        let classes = event_classes(Some("windows"), None, Some("security")).unwrap_or_default();
        assert_eq!(
            classes,
            vec![EventClass {
                channel: "security",
                event_ids: &[]
            }]
        );
        assert!(event_classes(Some("linux"), Some("process_creation"), None).is_err());
        assert!(event_classes(Some("windows"), Some("file_access"), None).is_err());
        assert!(event_classes(Some("windows"), None, None).is_err());
    }
}
