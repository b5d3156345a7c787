// Istio's authz builder golden files (istio/istio pilot/pkg/security/authz/builder/testdata/http), verbatim: input policies and expected filters.

/** single-policy-in.yaml */
export const SINGLE_POLICY_IN = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
      version: v1
  rules:
    - from:
        - source:
            principals: ["rule[0]-from[0]-principal[1]", "rule[0]-from[0]-principal[2]"]
            requestPrincipals: ["rule[0]-from[0]-requestPrincipal[1]", "rule[0]-from[0]-requestPrincipal[2]"]
            namespaces: ["rule[0]-from[0]-ns[1]", "rule[0]-from[0]-ns[2]"]
            ipBlocks: ["10.0.0.1", "10.0.0.2"]
            remoteIpBlocks: ["172.16.10.10"]
        - source:
            principals: ["rule[0]-from[1]-principal[1]", "rule[0]-from[1]-principal[2]"]
            requestPrincipals: ["rule[0]-from[1]-requestPrincipal[1]", "rule[0]-from[1]-requestPrincipal[2]"]
            namespaces: ["rule[0]-from[1]-ns[1]", "rule[0]-from[1]-ns[2]"]
            ipBlocks: ["10.0.1.1", "192.0.1.2"]
            remoteIpBlocks: ["172.17.8.0/24", "172.17.9.4"]
      to:
        - operation:
            methods: ["rule[0]-to[0]-method[1]", "rule[0]-to[0]-method[2]"]
            hosts: ["rule[0]-to[0]-host[1]", "rule[0]-to[0]-host[2]"]
            ports: ["9001", "9002"]
            paths: ["rule[0]-to[0]-path[1]", "rule[0]-to[0]-path[2]"]
        - operation:
            methods: ["rule[0]-to[1]-method[1]", "rule[0]-to[1]-method[2]"]
            hosts: ["rule[0]-to[1]-host[1]", "rule[0]-to[1]-host[2]"]
            ports: ["9011", "9012"]
            paths: ["rule[0]-to[1]-path[1]", "rule[0]-to[1]-path[2]"]
      when:
        - key: "request.headers[X-header]"
          values: ["header", "header-prefix-*", "*-suffix-header", "*"]
        - key: "destination.ip"
          values: ["10.10.10.10", "192.168.10.0/24"]
        - key: "remote.ip"
          values: ["10.99.10.8", "10.80.64.0/18"]
    - from:
        - source:
            principals: ["rule[1]-from[0]-principal[1]", "rule[1]-from[0]-principal[2]"]
            requestPrincipals: ["rule[1]-from[0]-requestPrincipal[1]", "rule[1]-from[0]-requestPrincipal[2]"]
            namespaces: ["rule[1]-from[0]-ns[1]", "rule[1]-from[0]-ns[2]"]
            ipBlocks: ["10.1.0.1", "10.1.0.2"]
            remoteIpBlocks: ["172.22.2.0/23", "172.21.234.254"]
        - source:
            principals: ["rule[1]-from[1]-principal[1]", "rule[1]-from[1]-principal[2]"]
            requestPrincipals: ["rule[1]-from[1]-requestPrincipal[1]", "rule[1]-from[1]-requestPrincipal[2]"]
            namespaces: ["rule[1]-from[1]-ns[1]", "rule[1]-from[1]-ns[2]"]
            ipBlocks: ["10.1.1.1", "192.1.1.2"]
            remoteIpBlocks: ["192.168.4.0/24", "192.168.7.8"]
      to:
        - operation:
            methods: ["rule[1]-to[0]-method[1]", "rule[1]-to[0]-method[2]"]
            hosts: ["rule[1]-to[0]-host[1]", "rule[1]-to[0]-host[2]"]
            ports: ["9101", "9102"]
            paths: ["rule[1]-to[0]-path[1]", "rule[1]-to[0]-path[2]"]
        - operation:
            methods: ["rule[1]-to[1]-method[1]", "rule[1]-to[1]-method[2]"]
            hosts: ["rule[1]-to[1]-host[1]", "rule[1]-to[1]-host[2]"]
            ports: ["9111", "9112"]
            paths: ["rule[1]-to[1]-path[1]", "rule[1]-to[1]-path[2]"]
`;

/** extended-single-policy-out.yaml (protojson field names). */
export const SINGLE_POLICY_OUT = String.raw`
name: envoy.filters.http.rbac
typedConfig:
  '@type': type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
  rules:
    policies:
      ns[foo]-policy[httpbin]-rule[0]:
        permissions:
        - andRules:
            rules:
            - orRules:
                rules:
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[0]-to[0]-host[1]
                      ignoreCase: true
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[0]-to[0]-host[2]
                      ignoreCase: true
            - orRules:
                rules:
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[0]-to[0]-method[1]
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[0]-to[0]-method[2]
            - orRules:
                rules:
                - urlPath:
                    path:
                      exact: rule[0]-to[0]-path[1]
                - urlPath:
                    path:
                      exact: rule[0]-to[0]-path[2]
            - orRules:
                rules:
                - destinationPort: 9001
                - destinationPort: 9002
            - orRules:
                rules:
                - destinationIp:
                    addressPrefix: 10.10.10.10
                    prefixLen: 32
                - destinationIp:
                    addressPrefix: 192.168.10.0
                    prefixLen: 24
        - andRules:
            rules:
            - orRules:
                rules:
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[0]-to[1]-host[1]
                      ignoreCase: true
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[0]-to[1]-host[2]
                      ignoreCase: true
            - orRules:
                rules:
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[0]-to[1]-method[1]
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[0]-to[1]-method[2]
            - orRules:
                rules:
                - urlPath:
                    path:
                      exact: rule[0]-to[1]-path[1]
                - urlPath:
                    path:
                      exact: rule[0]-to[1]-path[2]
            - orRules:
                rules:
                - destinationPort: 9011
                - destinationPort: 9012
            - orRules:
                rules:
                - destinationIp:
                    addressPrefix: 10.10.10.10
                    prefixLen: 32
                - destinationIp:
                    addressPrefix: 192.168.10.0
                    prefixLen: 24
        principals:
        - andIds:
            ids:
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      exact: spiffe://rule[0]-from[0]-principal[1]
                - authenticated:
                    principalName:
                      exact: spiffe://rule[0]-from[0]-principal[2]
            - orIds:
                ids:
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[0]-from[0]-requestPrincipal[1]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[0]-from[0]-requestPrincipal[2]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[0\]-from\[0\]-ns\[1\]/.*
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[0\]-from\[0\]-ns\[2\]/.*
            - orIds:
                ids:
                - remoteIp:
                    addressPrefix: 172.16.10.10
                    prefixLen: 32
            - orIds:
                ids:
                - directRemoteIp:
                    addressPrefix: 10.0.0.1
                    prefixLen: 32
                - directRemoteIp:
                    addressPrefix: 10.0.0.2
                    prefixLen: 32
            - orIds:
                ids:
                - header:
                    name: X-header
                    stringMatch:
                      exact: header
                - header:
                    name: X-header
                    stringMatch:
                      prefix: header-prefix-
                - header:
                    name: X-header
                    stringMatch:
                      suffix: -suffix-header
                - header:
                    name: X-header
                    presentMatch: true
            - orIds:
                ids:
                - remoteIp:
                    addressPrefix: 10.99.10.8
                    prefixLen: 32
                - remoteIp:
                    addressPrefix: 10.80.64.0
                    prefixLen: 18
        - andIds:
            ids:
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      exact: spiffe://rule[0]-from[1]-principal[1]
                - authenticated:
                    principalName:
                      exact: spiffe://rule[0]-from[1]-principal[2]
            - orIds:
                ids:
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[0]-from[1]-requestPrincipal[1]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[0]-from[1]-requestPrincipal[2]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[0\]-from\[1\]-ns\[1\]/.*
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[0\]-from\[1\]-ns\[2\]/.*
            - orIds:
                ids:
                - remoteIp:
                    addressPrefix: 172.17.8.0
                    prefixLen: 24
                - remoteIp:
                    addressPrefix: 172.17.9.4
                    prefixLen: 32
            - orIds:
                ids:
                - directRemoteIp:
                    addressPrefix: 10.0.1.1
                    prefixLen: 32
                - directRemoteIp:
                    addressPrefix: 192.0.1.2
                    prefixLen: 32
            - orIds:
                ids:
                - header:
                    name: X-header
                    stringMatch:
                      exact: header
                - header:
                    name: X-header
                    stringMatch:
                      prefix: header-prefix-
                - header:
                    name: X-header
                    stringMatch:
                      suffix: -suffix-header
                - header:
                    name: X-header
                    presentMatch: true
            - orIds:
                ids:
                - remoteIp:
                    addressPrefix: 10.99.10.8
                    prefixLen: 32
                - remoteIp:
                    addressPrefix: 10.80.64.0
                    prefixLen: 18
      ns[foo]-policy[httpbin]-rule[1]:
        permissions:
        - andRules:
            rules:
            - orRules:
                rules:
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[1]-to[0]-host[1]
                      ignoreCase: true
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[1]-to[0]-host[2]
                      ignoreCase: true
            - orRules:
                rules:
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[1]-to[0]-method[1]
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[1]-to[0]-method[2]
            - orRules:
                rules:
                - urlPath:
                    path:
                      exact: rule[1]-to[0]-path[1]
                - urlPath:
                    path:
                      exact: rule[1]-to[0]-path[2]
            - orRules:
                rules:
                - destinationPort: 9101
                - destinationPort: 9102
        - andRules:
            rules:
            - orRules:
                rules:
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[1]-to[1]-host[1]
                      ignoreCase: true
                - header:
                    name: :authority
                    stringMatch:
                      exact: rule[1]-to[1]-host[2]
                      ignoreCase: true
            - orRules:
                rules:
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[1]-to[1]-method[1]
                - header:
                    name: :method
                    stringMatch:
                      exact: rule[1]-to[1]-method[2]
            - orRules:
                rules:
                - urlPath:
                    path:
                      exact: rule[1]-to[1]-path[1]
                - urlPath:
                    path:
                      exact: rule[1]-to[1]-path[2]
            - orRules:
                rules:
                - destinationPort: 9111
                - destinationPort: 9112
        principals:
        - andIds:
            ids:
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      exact: spiffe://rule[1]-from[0]-principal[1]
                - authenticated:
                    principalName:
                      exact: spiffe://rule[1]-from[0]-principal[2]
            - orIds:
                ids:
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[1]-from[0]-requestPrincipal[1]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[1]-from[0]-requestPrincipal[2]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[1\]-from\[0\]-ns\[1\]/.*
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[1\]-from\[0\]-ns\[2\]/.*
            - orIds:
                ids:
                - remoteIp:
                    addressPrefix: 172.22.2.0
                    prefixLen: 23
                - remoteIp:
                    addressPrefix: 172.21.234.254
                    prefixLen: 32
            - orIds:
                ids:
                - directRemoteIp:
                    addressPrefix: 10.1.0.1
                    prefixLen: 32
                - directRemoteIp:
                    addressPrefix: 10.1.0.2
                    prefixLen: 32
        - andIds:
            ids:
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      exact: spiffe://rule[1]-from[1]-principal[1]
                - authenticated:
                    principalName:
                      exact: spiffe://rule[1]-from[1]-principal[2]
            - orIds:
                ids:
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[1]-from[1]-requestPrincipal[1]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
                - andIds:
                    ids:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: iss
                        value:
                          stringMatch:
                            exact: rule[1]-from[1]-requestPrincipal[2]
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path:
                        - key: payload
                        - key: sub
                        value:
                          stringMatch:
                            exact: ""
            - orIds:
                ids:
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[1\]-from\[1\]-ns\[1\]/.*
                - authenticated:
                    principalName:
                      safeRegex:
                        regex: .*/ns/rule\[1\]-from\[1\]-ns\[2\]/.*
            - orIds:
                ids:
                - remoteIp:
                    addressPrefix: 192.168.4.0
                    prefixLen: 24
                - remoteIp:
                    addressPrefix: 192.168.7.8
                    prefixLen: 32
            - orIds:
                ids:
                - directRemoteIp:
                    addressPrefix: 10.1.1.1
                    prefixLen: 32
                - directRemoteIp:
                    addressPrefix: 192.1.1.2
                    prefixLen: 32
  shadowRulesStatPrefix: istio_dry_run_allow_
`;

/** allow-empty-rule-in.yaml and extended-allow-empty-rule-out.yaml. */
export const ALLOW_EMPTY_RULE_IN = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-all
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
      version: v1
  rules:
    - {}
`;
export const ALLOW_EMPTY_RULE_OUT = `
name: envoy.filters.http.rbac
typedConfig:
  '@type': type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
  rules:
    policies:
      ns[foo]-policy[allow-all]-rule[0]:
        permissions:
        - andRules:
            rules:
            - any: true
        principals:
        - andIds:
            ids:
            - any: true
  shadowRulesStatPrefix: istio_dry_run_allow_
`;

/** dry-run-allow-and-deny-in.yaml and extended-dry-run-allow-and-deny-out1.yaml (the DENY filter). */
export const DRY_RUN_ALLOW_AND_DENY_IN = `
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: httpbin-1
  namespace: foo
  annotations:
    "istio.io/dry-run": "true"
spec:
  selector:
    matchLabels:
      app: httpbin
      version: v1
  action: ALLOW
  rules:
    - to:
        - operation:
            paths: ["/allow"]
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: httpbin-2
  namespace: foo
  annotations:
    "istio.io/dry-run": "true"
spec:
  selector:
    matchLabels:
      app: httpbin
      version: v1
  action: DENY
  rules:
    - to:
        - operation:
            paths: ["/deny"]
`;
export const DRY_RUN_ALLOW_AND_DENY_OUT1 = `
name: envoy.filters.http.rbac
typedConfig:
  '@type': type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
  shadowRules:
    action: DENY
    policies:
      ns[foo]-policy[httpbin-2]-rule[0]:
        permissions:
        - andRules:
            rules:
            - orRules:
                rules:
                - urlPath:
                    path:
                      exact: /deny
        principals:
        - andIds:
            ids:
            - any: true
  shadowRulesStatPrefix: istio_dry_run_deny_
`;
