import type { DoctorCheck } from '../../core/sandbox/doctor';

/** A button on a failed check: the command it runs and its arguments. */
export interface DoctorFix {
  label: string;
  command: string;
  args: unknown[];
}

/** The doctor's name for the extension's own check of the agent's model. */
export const MODEL_CHECK = 'agent model';

/** The buttons that fix a failed check from the extension; none where the fix is outside VS Code. */
export function doctorFixes(check: DoctorCheck): DoctorFix[] {
  if (check.ok) return [];
  if (check.buildProfiles?.length)
    return [{ label: 'Build Images', command: 'rolloutStudio.buildImages', args: [check.buildProfiles] }];
  if (check.name === 'docker engine')
    return [
      { label: 'Set Docker Host', command: 'workbench.action.openSettings', args: ['rolloutStudio.docker.host'] },
    ];
  if (check.name === MODEL_CHECK)
    return [
      { label: 'Set API Key', command: 'rolloutStudio.setApiKey', args: [] },
      { label: 'Select Policy…', command: 'rolloutStudio.selectPolicy', args: [] },
    ];
  return [];
}

/** The workbench context keys the walkthrough's steps complete on, from the doctor's checks. */
export function doctorContextKeys(checks: DoctorCheck[]): { dockerReady: boolean; imagesReady: boolean } {
  const images = checks.filter((check) => check.name.startsWith('image '));
  return {
    dockerReady: checks.some((check) => check.name === 'docker engine' && check.ok),
    imagesReady: images.length > 0 && images.every((check) => check.ok),
  };
}
