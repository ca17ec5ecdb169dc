/**
 * The SOC 2 Trust Services Criteria (AICPA, 2017, revised points of focus 2022) that the
 * report's sections evidence, with a one-line paraphrase each, so a reader who does not have
 * the criteria to hand knows what is claimed.
 */
export type CriterionId = 'CC4.1' | 'CC6.1' | 'CC6.2' | 'CC6.3' | 'CC7.2' | 'CC8.1';

export const TRUST_CRITERIA: Readonly<Record<CriterionId, string>> = {
  'CC4.1':
    'Monitoring activities: controls are evaluated to ascertain that they are present and functioning',
  'CC6.1':
    'Logical access: access to protected information assets is restricted by access controls',
  'CC6.2': 'Users are registered and authorised before they are given access',
  'CC6.3':
    'Access is authorised, modified and removed with least privilege and segregation of duties',
  'CC7.2': 'System components and the operation of controls are monitored for anomalies',
  'CC8.1': 'Changes to infrastructure, data, software and procedures are authorised and tracked',
};
